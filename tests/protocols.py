"""Parity protocols: how a learner is run so that every backend's outputs can be held against a
reference backend's (tests/test_generated.py runs them for every (algorithm, backend) of the
registry).

A :class:`Protocol` applies to the specs of some kinds and says

* ``settings``: the setting changes, over the quick budget, that make the backends comparable
  (dropout off: the frameworks draw different masks);
* ``steps``: how many training steps run from the canonical initial weights, every one on the
  same batch, so that the loss after each step differs from the one before only by the update;
* ``checks``: which output is compared under which of the spec's tolerances. A tolerance's name
  says how it is applied: ``*_atol`` absolute, ``*_rtol`` relative. Tolerances come only from
  ``Spec.tolerances``; a spec that lacks a key its protocols need fails with a message saying
  that the spec must state it (and tests/test_specs_and_init.py requires the keys per kind).

The outputs of one run (:class:`Outcome`): ``forward``, the model's output at the initial weights
on a fixed input (supervised: ``predict`` on the first evaluation examples of the spec's real
data; RL: ``q_values`` or ``probs`` on synthetic observations of the spec's shape), ``losses``,
the loss of each training step (supervised: a slice of the real training data; RL: one synthetic
replay batch, or one synthetic episode for a policy learner), and ``after``, the forward output
after the last step.

Adding a protocol, e.g. ten plain-SGD steps or twenty steps of the spec's own optimizer, is one
more entry in :data:`PROTOCOLS` (its settings, its number of steps and the tolerance key each
output is held to); the generated tests and the completeness test pick it up.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
from support import build, settings

from bench import specs

N_FORWARD = 32  # examples (or observations) of the forward comparison
BATCH = 16  # largest training batch a protocol uses (the spec's batch size when smaller)


@dataclass(frozen=True)
class Protocol:
    name: str
    kinds: tuple[str, ...]
    steps: int
    # spec -> {output: tolerance key}
    checks: Callable[[specs.Spec], Mapping[str, str]]
    # resolved quick-budget settings -> setting changes for this protocol
    settings: Callable[[Mapping], Mapping] = field(default=lambda hp: {})


def forward_key(spec: specs.Spec) -> str:
    """The tolerance of a spec's forward output: ``predict_atol`` for a supervised model, RL:
    ``probs_atol`` for a policy learner, ``q_atol`` for a Q-learner."""
    if spec.kind == "prediction":
        return "weights_atol"
    if spec.kind != "rl":
        return "predict_atol"
    return "probs_atol" if spec.module == "reinforce" else "q_atol"


def comparable(hp: Mapping) -> dict:
    """Dropout off: the frameworks draw different dropout masks."""
    return {"dropout": 0.0} if hp.get("dropout") else {}


# the forward pass at the canonical initial weights and the losses of the first two steps
FIRST_STEPS = Protocol(
    "first_steps",
    ("supervised", "rl"),
    steps=2,
    settings=comparable,
    checks=lambda spec: {"forward": forward_key(spec), "losses": "loss_rtol"},
)
# value prediction: v_hat of every state (the group weights) after the first episodes' updates,
# from the same canonical initial weights (the book's w = 0, so the forward pass at the start is
# trivially equal) and the same trajectories
FIRST_EPISODES = Protocol("first_episodes", ("prediction",), steps=3, checks=lambda spec: {"after": "weights_atol"})
PROTOCOLS: tuple[Protocol, ...] = (FIRST_STEPS, FIRST_EPISODES)


def protocols_for(spec: specs.Spec) -> list[Protocol]:
    return [p for p in PROTOCOLS if spec.kind in p.kinds]


def required_tolerances(spec: specs.Spec) -> set[str]:
    """The tolerance keys the spec's protocols compare under."""
    return {key for p in protocols_for(spec) for key in p.checks(spec).values()}


def missing_tolerances(spec: specs.Spec, protocol: Protocol) -> str | None:
    """None, or a message naming the tolerances the spec must state for ``protocol``."""
    missing = sorted(set(protocol.checks(spec).values()) - set(spec.tolerances))
    if not missing:
        return None
    return (
        f"spec '{spec.name}' must state tolerances {missing} (in Spec.tolerances) for the "
        f"'{protocol.name}' parity protocol of {spec.kind} specs"
    )


@dataclass
class Outcome:
    forward: np.ndarray  # output at the initial weights on the fixed input
    losses: np.ndarray  # loss of each training step
    after: np.ndarray  # output on the same input after the last step
    shape: tuple  # what the output's shape must be
    extra: dict = field(default_factory=dict)  # e.g. the RL TD errors of each step
    initial: dict = field(default_factory=dict)  # canonical weight name -> digest, right after the build


_DATA: dict = {}
_OUTCOMES: dict = {}


def outcome(
    algo: str, backend: str, overrides: Mapping, steps: int, mode: str | None = None, precision: str = "fp32"
) -> Outcome:
    """Build ``algo`` in ``backend`` with the quick budget and ``overrides`` and run it ``steps``
    steps in ``mode`` (None: the backend's default) and ``precision`` (cached: a smoke test and a
    parity test with the same settings share one run)."""
    key = (algo, backend, tuple(sorted(overrides.items())), mode, precision)
    if key not in _OUTCOMES or len(_OUTCOMES[key].losses) < steps:
        learner, hp, spec = build(algo, backend, dict(overrides), mode=mode, precision=precision)
        initial = {name: digest(w) for name, w in learner.get_weights().items()}
        run = {"rl": _run_rl, "prediction": _run_prediction}.get(spec.kind, _run_supervised)
        _OUTCOMES[key] = run(learner, hp, spec, steps)
        _OUTCOMES[key].initial = initial
    return _OUTCOMES[key]


def digest(w: np.ndarray) -> tuple:
    """(shape, dtype, hash of the bytes): equal exactly when the arrays are equal."""
    w = np.ascontiguousarray(w)
    return w.shape, w.dtype.str, hashlib.sha1(w.tobytes()).hexdigest()


def protocol_outcome(
    algo: str, backend: str, protocol: Protocol, mode: str | None = None, precision: str = "fp32"
) -> Outcome:
    return outcome(algo, backend, protocol.settings(settings(algo)), protocol.steps, mode, precision)


def data(spec: specs.Spec, hp: Mapping):
    """The spec's real data for ``hp``, loaded once per test session."""
    key = (spec.name, repr(sorted(hp.items())))
    if key not in _DATA:
        _DATA[key] = spec.load_data(hp, 0)
    return _DATA[key]


def _run_supervised(learner, hp, spec, steps) -> Outcome:
    d = data(spec, hp)
    x = d.x_eval[:N_FORWARD]
    bs = min(hp.get("batch_size") or d.n_train, BATCH, d.n_train)
    xb, yb = d.x_train[:bs], d.y_train[:bs]
    forward = np.asarray(learner.predict(x))
    losses = [float(learner.train_step(xb, yb)) for _ in range(steps)]
    return Outcome(forward, np.array(losses), np.asarray(learner.predict(x)), (len(x),) + forward.shape[1:])


def episode_args(d, i: int) -> tuple[dict, np.ndarray]:
    """The training call of episode ``i`` of a value-prediction dataset, as the driver makes it."""
    a, b = int(d.episodes.offsets[i]), int(d.episodes.offsets[i + 1])
    return {k: d.inputs[k][a:b] for k in ("states", "next_states", "discounts")}, d.inputs["rewards"][a:b]


def _run_prediction(learner, hp, spec, steps) -> Outcome:
    d = data(spec, hp)
    states = np.arange(1, d.walk.n_states + 1)
    forward = np.asarray(learner.predict(states))
    losses = [float(learner.train_step(*episode_args(d, i))) for i in range(steps)]
    return Outcome(forward, np.array(losses), np.asarray(learner.predict(states)), (len(states),))


def synthetic_obs(hp: Mapping, n: int, rng: np.random.Generator) -> np.ndarray:
    """Observations of the spec's shape, as the driver feeds them (Atari frames scaled to [0, 1])."""
    obs = rng.uniform(-1, 1, (n, *tuple(hp["obs_shape"]))).astype(np.float32)
    return (obs + 1) / 2 if hp.get("atari") else obs


def synthetic_batch(hp: Mapping, n: int, seed: int) -> dict:
    """A replay batch: observations, next observations, actions, rewards, terminations and,
    for prioritized replay, importance weights."""
    rng = np.random.default_rng(seed)
    batch = {
        "obs": synthetic_obs(hp, n, rng),
        "next_obs": synthetic_obs(hp, n, rng),
        "actions": rng.integers(0, hp["n_actions"], n),
        "rewards": rng.normal(1, 1, n).astype(np.float32),
        "terminated": (rng.random(n) < 0.3).astype(np.float32),
    }
    batch["weights"] = rng.uniform(0.2, 1.0, n).astype(np.float32) if hp.get("prioritized") else None
    return batch


def _run_rl(learner, hp, spec, steps) -> Outcome:
    from bench.rl.agent import PolicyLearner

    n = min(int(hp.get("batch_size") or N_FORWARD), N_FORWARD)
    batch = synthetic_batch(hp, n, seed=1)
    x = batch["obs"]
    shape = (n, int(hp["n_actions"]))
    if isinstance(learner, PolicyLearner):
        returns = np.random.default_rng(2).normal(0, 1, n).astype(np.float32)
        forward = np.asarray(learner.probs(x))
        losses = [float(learner.update(x, batch["actions"], returns)) for _ in range(steps)]
        return Outcome(forward, np.array(losses), np.asarray(learner.probs(x)), shape)
    forward, losses, tds = np.asarray(learner.q_values(x)), [], []
    for _ in range(steps):
        loss, td = learner.update(batch, batch["weights"])
        losses.append(float(loss))
        tds.append(np.asarray(td))
    return Outcome(forward, np.array(losses), np.asarray(learner.q_values(x)), shape, {"td": np.array(tds)})
