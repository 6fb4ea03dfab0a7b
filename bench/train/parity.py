"""The parity protocols' runs: a learner built from the canonical initial weights is run a few
steps on fixed inputs, so that every backend's outputs can be held against a reference
backend's. tests/protocols.py defines the protocols (which steps, which tolerance each output is
held to) and the generated tests run them for every (algorithm, backend); the quick tour runs the
first-steps protocol (:func:`first_steps`) to show that the backends computed the same thing.

The outputs of one run (:class:`Outcome`): ``forward``, the model's output at the initial weights
on a fixed input (supervised: ``predict`` on the first evaluation examples of the spec's real
data; RL: ``q_values`` or ``probs`` on synthetic observations of the spec's shape), ``losses``,
the loss of each training step (supervised: a slice of the real training data; RL: one synthetic
replay batch, or one synthetic episode for a policy learner), and ``after``, the forward output
after the last step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from bench import specs
from bench.train.tracking import joined

N_FORWARD = 32  # examples (or observations) of the forward comparison
BATCH = 16  # largest training batch a protocol uses (the spec's batch size when smaller)
FIRST_STEPS = 2  # the first-steps protocol: the forward pass at the initial weights and two steps


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


def gap(have, want, key: str) -> float:
    """How far ``have`` lies from ``want`` in the terms of tolerance ``key``: the largest absolute
    difference for ``*_atol``, the largest relative one (against ``want``) for ``*_rtol``."""
    have, want = np.asarray(have, np.float64), np.asarray(want, np.float64)
    diff = np.abs(have - want)
    if key.endswith("_rtol"):
        diff = diff / np.maximum(np.abs(want), np.finfo(np.float64).tiny)
    return float(np.max(diff)) if diff.size else 0.0


def first_steps(algo: str, backends: list[str], seed: int = 0) -> list[dict]:
    """The first-steps protocol on ``algo`` in this process: each backend built from the same
    canonical initial weights (quick budget, dropout off), its forward output and the losses of
    its first :data:`FIRST_STEPS` steps held against the first backend's under the spec's own
    tolerances -> a row per other backend: the gaps, the tolerances and whether both hold."""
    from bench.config import RunConfig
    from bench.train.runner import build_learner

    spec = specs.get(algo)
    overrides = comparable(spec.resolve("quick", {}))
    outs = {}
    for backend in backends:
        cell = RunConfig.create(algo, backend, "cpu", seed, "quick", overrides)
        learner = build_learner(cell.spec, cell.hp, backend, seed, "cpu", mode=cell.mode, precision=cell.precision)
        if spec.kind == "supervised":
            outs[backend] = run_supervised(learner, cell.hp, spec.load_data(cell.hp, 0), FIRST_STEPS)
        elif spec.kind == "rl":
            outs[backend] = run_rl(learner, cell.hp, FIRST_STEPS)
        else:
            outs[backend] = run_prediction(learner, cell.hp, spec.load_data(cell.hp, 0), FIRST_STEPS)
    ref, keys = backends[0], {"forward": forward_key(spec), "losses": "loss_rtol"}
    if spec.kind == "prediction":
        keys = {"after": "weights_atol"}
    rows = []
    for backend in backends[1:]:
        row = {"algo": algo, "backend": backend, "reference": ref, "steps": FIRST_STEPS, "ok": True}
        for output, key in keys.items():
            got = gap(getattr(outs[backend], output), getattr(outs[ref], output), key)
            row[output] = {"gap": got, "tolerance_key": key, "tolerance": spec.tolerances[key]}
            row["ok"] = row["ok"] and got <= spec.tolerances[key]
        rows.append(row)
    return rows


@dataclass
class Outcome:
    forward: np.ndarray  # output at the initial weights on the fixed input
    losses: np.ndarray  # loss of each training step
    after: np.ndarray  # output on the same input after the last step
    shape: tuple  # what the output's shape must be
    extra: dict = field(default_factory=dict)  # e.g. the RL TD errors of each step
    moving: np.ndarray | None = None  # BatchNorm moving statistics after each step (resync runs)
    initial: dict = field(default_factory=dict)  # canonical weight name -> digest, right after the build


def moving_statistics(weights: Mapping[str, np.ndarray]) -> np.ndarray:
    return np.concatenate([np.ravel(w) for n, w in sorted(weights.items()) if "/moving_" in n] or [np.zeros(0)])


def run_supervised(learner, hp, d, steps, fresh=False, path=None, resync=False) -> Outcome:
    """``steps`` steps on one batch of the training data, or with ``fresh`` on consecutive ones.
    With ``resync`` the weights after every step are kept: each step's moving statistics
    (``moving``) and, for the reference (``path`` None), the whole path (``extra["path"]``); another
    backend is given ``path`` and starts step k from the reference's weights before step k.
    ``d``: the spec's data for ``hp``."""
    x = d.x_eval[:N_FORWARD]
    bs = min(hp.get("batch_size") or d.n_train, BATCH, d.n_train)
    starts = [(k * bs) % (d.n_train - bs + 1) if fresh else 0 for k in range(steps)]
    forward, own, losses = np.asarray(learner.predict(x)), [learner.get_weights()], []
    if learner.train_steps is not None and not resync:  # the idiom that trains the steps in one call (fit)
        xs, ys = joined([(d.x_train[i : i + bs], d.y_train[i : i + bs]) for i in starts])
        losses, starts = list(learner.train_steps(xs, ys, bs)), []
    for k, i in enumerate(starts):
        if path is not None:
            learner.set_weights(path[k])
        losses.append(float(learner.train_step(d.x_train[i : i + bs], d.y_train[i : i + bs])))
        if resync:
            own.append(learner.get_weights())
    out = Outcome(forward, np.array(losses), np.asarray(learner.predict(x)), (len(x),) + forward.shape[1:])
    if resync:
        out.moving = np.array([moving_statistics(w) for w in own[1:]])
        if path is None:
            out.extra["path"] = own
    else:
        moving = [moving_statistics(w) for w in (own[0], learner.get_weights())]
        out.extra["moving_trained"] = bool(moving[0].size and np.any(moving[0] != moving[1]))
    return out


def episode_args(d, i: int) -> tuple[dict, np.ndarray]:
    """The training call of episode ``i`` of a value-prediction dataset, as the driver makes it."""
    a, b = int(d.episodes.offsets[i]), int(d.episodes.offsets[i + 1])
    return {k: d.inputs[k][a:b] for k in ("states", "next_states", "discounts")}, d.inputs["rewards"][a:b]


def run_prediction(learner, hp, d, steps) -> Outcome:
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


def run_rl(learner, hp, steps) -> Outcome:
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
