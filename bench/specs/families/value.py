"""The family of the two value-prediction specs (seed 002's DQN deck, from Sutton & Barto
2018, chapter 9, "On-policy prediction with approximation"): gradient Monte Carlo and
semi-gradient TD(0) estimating v_pi of the 1000-state random walk (Example 9.1) with state
aggregation (10 groups of 100 states, v_hat linear in the one-hot group feature).

Both share one implementation module (``impl="value_prediction"``): the learner runs one
episode's updates per ``train_step`` call, each update on the weights the previous one left
(:mod:`bench.train.value` states the call's contract), and ``hp["method"]`` chooses the
target: the return G_t (gradient MC) or R + gamma v_hat(S', w) with no gradient through it and
v_hat(terminal) = 0 (semi-gradient TD(0)). Plain SGD at ``lr`` (the book's alpha) on
0.5 (target - v_hat(S, w))^2, whose gradient step is w <- w + alpha [target - v_hat] grad v_hat.

Quality: VE, the root of the mu-weighted mean squared error against the true v_pi (dynamic
programming, :mod:`bench.core.data.random_walk`), mu the on-policy distribution. The primary metric
``ve_gap`` is VE minus the VE of the algorithm's own limit (the MC optimum, the TD fixed point),
so the target 0.02 says "within 0.02 of where the algorithm converges" for every setting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.core.data import random_walk as rw
from bench.core.errors import BenchError, choices
from bench.specs.base import ByName, Family

METHODS = ("gradient_mc", "semi_gradient_td0")

# The task (Example 9.1) and the harness's settings, shared by both specs.
TASK = dict(
    n_states=1000,  # states 1..n
    step_range=100,  # a step jumps to one of the 100 states on either side
    start_state=500,
    n_groups=10,  # state aggregation: n_states / n_groups states per group
    gamma=1.0,
    eval_every=1000,  # episodes per timed round (one evaluation, one throughput measurement)
    latency_updates=200,  # single-update calls timed after training for the update latency
)


@dataclass
class PredictionData:
    """What the driver and ``evaluate`` need: the episodes of the seed, the per-update inputs of
    the method (:func:`bench.core.data.random_walk.update_inputs`), the exact values and distribution,
    and the VE of both limits (the MC optimum and the TD fixed point)."""

    name: str
    walk: rw.Walk
    gamma: float
    n_groups: int
    method: str
    episodes: rw.Episodes
    inputs: dict  # states, next_states, discounts, rewards: one entry per update, episodes end to end
    ve_mc_optimum: float
    ve_td_fixed_point: float

    @property
    def ve_reference(self) -> float:
        return self.ve_mc_optimum if self.method == "gradient_mc" else self.ve_td_fixed_point

    def value_error(self, v_hat) -> float:
        return rw.value_error(v_hat, self.walk, self.gamma)


def walk_of(hp) -> rw.Walk:
    return rw.Walk(int(hp["n_states"]), int(hp["step_range"]), int(hp["start_state"]))


def load_data(hp, seed) -> PredictionData:
    walk, gamma, k = walk_of(hp), float(hp["gamma"]), int(hp["n_groups"])
    episodes = rw.generate(walk, int(hp["episodes"]), seed)
    X = rw.features(walk, k)
    return PredictionData(
        name=f"random walk ({walk.n_states} states, jumps 1-{walk.step_range}, start {walk.start}; "
        f"{episodes.count} episodes, {int(episodes.offsets[-1])} updates, stream (seed {seed}, 7))",
        walk=walk,
        gamma=gamma,
        n_groups=k,
        method=hp["method"],
        episodes=episodes,
        inputs=rw.update_inputs(episodes, hp["method"], gamma),
        ve_mc_optimum=rw.value_error(X @ rw.mc_optimum(walk, k, gamma), walk, gamma),
        ve_td_fixed_point=rw.value_error(X @ rw.td_fixed_point(walk, k, gamma), walk, gamma),
    )


def evaluate(learner, data: PredictionData, hp) -> dict:
    v_hat = np.asarray(learner.predict(np.arange(1, data.walk.n_states + 1, dtype=np.int32)), np.float64)
    ve = data.value_error(v_hat)
    return {"ve_gap": ve - data.ve_reference, "ve": ve}


def validate(hp, name: str) -> None:
    """The task's own constraints (the ranges of lr, gamma and eval_every are checked before)."""
    if hp["method"] not in METHODS:
        raise BenchError(f"{name} setting 'method' = {hp['method']!r}; choose from: {choices(METHODS)}")
    for key, low in (("n_states", 2), ("step_range", 1), ("n_groups", 1), ("episodes", 1), ("latency_updates", 0)):
        if int(hp[key]) < low:
            raise BenchError(f"{name} setting '{key}' = {hp[key]!r} is out of range: it must be >= {low}")
    n, k = int(hp["n_states"]), int(hp["n_groups"])
    if n % k:
        divisors = [d for d in range(1, n + 1) if n % d == 0]
        raise BenchError(
            f"{name} setting 'n_groups' = {k} does not divide n_states = {n}: state aggregation "
            f"needs equal groups; choose from: {', '.join(map(str, divisors))}"
        )
    if not 1 <= int(hp["start_state"]) <= n:
        raise BenchError(
            f"{name} setting 'start_state' = {hp['start_state']!r} is out of range: it must be in [1, {n}]"
        )


def validate_for(name: str):
    """The spec's ``validate`` hook: :func:`validate` naming the spec."""
    return lambda hp: validate(hp, name)


# The family: the task, the metric and the parity tolerances; a member states its method (its name),
# its step size and its episodes.
PREDICTION = Family(
    kind="prediction",
    source="seed 002 DQN deck; Sutton & Barto (2018), sections 9.2-9.3, Example 9.1 (1000-state random walk)",
    hparams=dict(method=None, **TASK),  # method: each member's own
    budgets={"full": {}},
    metric="ve_gap",
    higher_is_better=False,
    target=0.02,
    # every figure and how it was measured: docs/parity.md#value-prediction
    tolerances={
        "weights_atol": 1e-6,  # measured 6.0e-8 (PyTorch), 0.0 (TF, Keras); docs/parity.md#value-prediction
        "float64_drift_atol": 1e-5,  # measured 1.4e-6 (gradient MC), 2.0e-7 (TD(0)); docs/parity.md#value-prediction
        "ve_gap": 0.02,
    },
    init={"value/kernel": "zeros"},  # the book starts from w = 0
    load_data=load_data,
    evaluate=evaluate,
    validate=ByName(validate_for),
    impl="value_prediction",
)
