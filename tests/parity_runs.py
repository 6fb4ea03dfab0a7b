"""Measures the cross-backend gaps reported in docs/parity.md, in one process with one framework
thread per backend (TensorFlow's thread setting holds only before its runtime starts, so this
runs on its own; tests/test_optim_parity.py starts it as a subprocess and checks the figures
against the specs' tolerances). From the repository root:

    python tests/parity_runs.py [CASE ...]     # prints one JSON object: case -> figures

Every backend starts from the canonical initial weights of seed 0 (bench.train.runner.build_learner)
and sees the same batches (the harness's batch order for seed 0). Figures, per backend pair:
``loss_rel``, the largest |a - b| / |b| over the steps' losses; ``moving_abs``, the largest
absolute difference of any BatchNorm moving statistic after the steps; for the Q-learner,
``q_abs``, the largest absolute difference of the Q-values after one update. A case whose data
file or environment is missing reports ``{"missing": reason}``.
"""

from __future__ import annotations

import itertools
import json
import sys

import numpy as np

from bench.config import RunConfig
from bench.core import backends
from bench.core.data import batches
from bench.core.errors import BenchError
from bench.train.runner import build_learner

BACKENDS = ("tf", "torch", "keras")
SEED = 0
PAIRS = list(itertools.combinations(BACKENDS, 2))


def _pairs(values, gap):
    return {f"{a}-{b}": float(gap(values[a], values[b])) for a, b in PAIRS}


def _rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.max(np.abs(a - b) / np.abs(b))


def _abs(a, b):
    return max(float(np.max(np.abs(a[k].astype(np.float64) - b[k]))) for k in b) if b else 0.0


def supervised(algo, steps, resync=False, **overrides):
    """``steps`` training steps on the spec's data (quick budget with ``overrides``). Free-running,
    each backend follows its own trajectory; with ``resync`` every backend starts every step from
    TensorFlow's weights after the previous step (moving statistics included; plain SGD has no
    other state), so the figures are those of one step of the same rule, not compounded."""
    cell = RunConfig.create(algo, "tf", overrides=overrides)
    spec, hp = cell.spec, cell.hp
    if resync and hp["optimizer"] != "sgd":
        raise ValueError("resync copies weights only: it needs a stateless optimizer (sgd)")
    data = spec.load_data(hp, SEED)
    order = list(batches(data.n_train, hp["batch_size"], np.random.default_rng(SEED)))[:steps]
    assert len(order) == steps and all(len(i) == hp["batch_size"] for i in order), "not enough training data"
    learners = {b: build_learner(spec, hp, b, SEED) for b in BACKENDS}
    start = {k: v for k, v in learners["tf"].get_weights().items() if "/moving_" in k}
    losses = {b: [] for b in BACKENDS}
    moving_abs = {f"{a}-{b}": 0.0 for a, b in PAIRS}
    for i in order:
        if resync:
            weights = learners["tf"].get_weights()
            for learner in learners.values():
                learner.set_weights(weights)
        for b, learner in learners.items():
            losses[b].append(float(learner.train_step(data.x_train[i], data.y_train[i])))
        moving = {
            b: {k: v for k, v in learner.get_weights().items() if "/moving_" in k} for b, learner in learners.items()
        }
        moving_abs = {k: max(v, _pairs(moving, _abs)[k]) for k, v in moving_abs.items()}  # the largest over the steps
    ref = np.asarray(losses["tf"])
    out = {
        "data": data.name,
        "steps": steps,
        "batch_size": hp["batch_size"],
        "optimizer": hp["optimizer"],
        "lr": hp["lr"],
        "resync": resync,
        "losses_tf": [float(v) for v in ref],
        "loss_moved": float(np.ptp(ref) / np.mean(ref)),  # how far training moved the loss
        "loss_rel": _pairs(losses, _rel),
    }
    if start:
        out["moving_abs"] = moving_abs
        out["moving_moved"] = _abs(moving["tf"], start)  # how far the statistics moved
    return out


def _scaled(weights, scale, rng):
    """The weights with every kernel multiplied by (1 + ``scale`` N(0, 1)), drawn from ``rng``
    kernel by kernel (also at scale 0, so that the draws after it do not depend on the scale)."""
    return {
        k: (v * (1 + scale * rng.standard_normal(v.shape))).astype(v.dtype) if k.endswith("kernel") else v
        for k, v in weights.items()
    }


def perturbed(algo, steps, scale=1e-7, **overrides):
    """The sensitivity of training itself: TensorFlow against TensorFlow with every kernel
    multiplied by (1 + ``scale`` N(0, 1)), free-running, the same batches."""
    cell = RunConfig.create(algo, "tf", overrides=overrides)
    spec, hp = cell.spec, cell.hp
    data = spec.load_data(hp, SEED)
    order = list(batches(data.n_train, hp["batch_size"], np.random.default_rng(SEED)))[:steps]
    rng = np.random.default_rng(SEED + 1)
    runs = {}
    for name, s in (("tf", 0.0), ("tf_perturbed", scale)):
        learner = build_learner(spec, hp, "tf", SEED)
        learner.set_weights(_scaled(learner.get_weights(), s, rng))
        losses = [float(learner.train_step(data.x_train[i], data.y_train[i])) for i in order]
        runs[name] = (losses, {k: v for k, v in learner.get_weights().items() if "/moving_" in k})
    (a, ma), (b, mb) = runs["tf"], runs["tf_perturbed"]
    return {
        "data": data.name,
        "steps": steps,
        "optimizer": hp["optimizer"],
        "scale": scale,
        "loss_rel": float(_rel(b, a)),
        "moving_abs": _abs(mb, ma),
    }


def first_steps_perturbed(algo, backend, draws, scale=1e-7, grad_draws=3, **overrides):
    """The noise floor of the first_steps protocol (tests/protocols.py: two steps of the spec's
    Adam on the first 16 training examples, dropout off) in one backend: the second loss of the
    canonical initial weights against that of the same weights with every kernel scaled by
    (1 + ``scale`` N(0, 1)), ``draws`` draws; and for the first ``grad_draws`` draws how far the
    first step's gradient moves (its norm, from one plain-SGD step: g = (w0 - w1) / lr)."""
    cell = RunConfig.create(algo, backend, overrides={"dropout": 0.0, **overrides})
    spec, hp = cell.spec, cell.hp
    data = spec.load_data(hp, SEED)
    x, y = data.x_train[:16], data.y_train[:16]

    def steps(weights, optimizer=None):
        h = dict(hp, optimizer=optimizer) if optimizer else hp
        learner = build_learner(spec, h, backend, SEED)
        learner.set_weights(weights)
        losses = [float(learner.train_step(x, y)) for _ in range(1 if optimizer else 2)]
        return losses, learner.get_weights()

    w0 = build_learner(spec, hp, backend, SEED).get_weights()
    rng = np.random.default_rng(SEED + 1)
    base, _ = steps(w0)
    g0 = _gradient(w0, steps(w0, "sgd")[1], hp["lr"])
    step2, grad = [], []
    for k in range(draws):
        w = _scaled(w0, scale, rng)
        step2.append(abs(steps(w)[0][1] / base[1] - 1))
        if k < grad_draws:
            g = _gradient(w, steps(w, "sgd")[1], hp["lr"])
            grad.append(float(np.linalg.norm(g - g0) / np.linalg.norm(g0)))
    return {
        "backend": backend,
        "scale": scale,
        "losses": base,
        "loss_moved": abs(base[1] / base[0] - 1),
        "step2_rel": [float(v) for v in step2],
        "step2_rel_max": float(max(step2)),
        "gradient_rel": grad,
    }


def _gradient(w0, w1, lr):
    names = sorted(n for n in w1 if "/moving_" not in n)
    return np.concatenate([((w0[n] - w1[n]) / lr).ravel() for n in names]).astype(np.float64)


def q_update(algo="double_dqn", **overrides):
    """One update of the Q-learner with the spec's initial weights on one batch of real
    transitions (a seeded random policy in the spec's environment); Q-values before and after."""
    from bench.rl.environments import make_env, seeded_reset

    cell = RunConfig.create(algo, "tf", overrides=overrides)
    spec, hp = cell.spec, cell.hp
    desc = spec.load_data(hp, SEED)
    env = make_env(desc, SEED, train=False)
    obs, _ = seeded_reset(env, SEED)
    rng = np.random.default_rng(SEED)
    rows = []
    while len(rows) < hp["batch_size"]:
        action = int(rng.integers(hp["n_actions"]))
        nxt, reward, term, trunc, _ = env.step(action)
        rows.append((obs, action, reward, nxt, float(term)))
        obs = env.reset()[0] if term or trunc else nxt
    env.close()
    o, a, r, n, t = (np.asarray(c) for c in zip(*rows))
    batch = {
        "obs": o.astype(np.float32),
        "actions": a.astype(np.int64),
        "rewards": r.astype(np.float32),
        "next_obs": n.astype(np.float32),
        "terminated": t.astype(np.float32),
    }
    before, after, loss, td = {}, {}, {}, {}
    for b in BACKENDS:
        learner = build_learner(spec, hp, b, SEED)
        before[b] = learner.q_values(batch["obs"])
        lv, tv = learner.update(batch)
        loss[b], td[b] = [float(lv)], np.asarray(tv)
        after[b] = learner.q_values(np.concatenate([batch["obs"], batch["next_obs"]]))
    return {
        "env": desc.env_id,
        "batch_size": hp["batch_size"],
        "optimizer": hp["optimizer"],
        "lr": hp["lr"],
        "terminal": int(t.sum()),
        "q_moved": float(np.max(np.abs(after["tf"][: len(o)] - before["tf"]))),
        "q_abs_before": _pairs(before, lambda x, y: np.max(np.abs(x - y))),
        "q_abs": _pairs(after, lambda x, y: np.max(np.abs(x - y))),
        "td_abs": _pairs(td, lambda x, y: np.max(np.abs(x - y))),
        "loss_rel": _pairs(loss, _rel),
    }


# case -> (function, arguments). "adam" is the specs' own optimizer; "sgd" the plain one.
MNIST = dict(dataset="mnist", train_limit=0)  # the whole training set: the spec's own batches
CASES = {
    "lenet5-adam-20": (supervised, dict(algo="lenet5", steps=20, **MNIST)),
    "lenet5-adam-native-20": (supervised, dict(algo="lenet5", steps=20, optimizer="adam-native", **MNIST)),
    # the first 5000 images only (the quick budget): in this batch order one fc2 pre-activation of
    # step 1 is 4.1e-8 (float64), +3.0e-8 in PyTorch's float32 and exactly 0.0 in TensorFlow's,
    # so ReLU's derivative there differs (docs/parity.md)
    "lenet5-adam-20-first5000": (supervised, dict(algo="lenet5", steps=20, dataset="mnist")),
    "double_dqn-adam-1": (q_update, dict(algo="double_dqn")),
    "double_dqn-adam-native-1": (q_update, dict(algo="double_dqn", optimizer="adam-native")),
    "lenet5-sgd-10": (supervised, dict(algo="lenet5", steps=10, optimizer="sgd", **MNIST)),
    "mlp-sgd-10": (supervised, dict(algo="mlp", steps=10, optimizer="sgd", **MNIST)),
}
for _algo, _over in (("metrics_cnn", MNIST), ("gap_head_fc", dict(dropout=0.0)), ("resnet10", dict(dropout=0.0))):
    CASES[f"{_algo}-sgd-10"] = (supervised, dict(algo=_algo, steps=10, optimizer="sgd", **_over))
    CASES[f"{_algo}-sgd-10-resync"] = (supervised, dict(algo=_algo, steps=10, optimizer="sgd", resync=True, **_over))
    CASES[f"{_algo}-sgd-10-tf-perturbed"] = (perturbed, dict(algo=_algo, steps=10, optimizer="sgd", **_over))

# the noise floor behind plain10's loss_rtol (bench/specs/plain10.py), and resnet10's for comparison
for _algo, _b, _n, _scale in (
    ("plain10", "tf", 30, 1e-7),
    ("plain10", "torch", 40, 1e-7),
    ("plain10", "torch", 20, 1e-6),
    ("resnet10", "tf", 10, 1e-7),
    ("resnet10", "torch", 10, 1e-7),
):
    CASES[f"{_algo}-first-steps-{_b}-perturbed-{_scale:.0e}"] = (
        first_steps_perturbed,
        dict(algo=_algo, backend=_b, draws=_n, scale=_scale),
    )


def main(names):
    unknown = [n for n in names if n not in CASES]
    if unknown:
        print(f"unknown case(s) {', '.join(unknown)}; choose from: {', '.join(CASES)}", file=sys.stderr)
        return 2
    for b in BACKENDS:
        backends.setup(b, "cpu", SEED, threads=1, deterministic=True)
    import tensorflow as tf
    import torch

    out = {"threads": {"tf": tf.config.threading.get_intra_op_parallelism_threads(), "torch": torch.get_num_threads()}}
    for name in names or CASES:
        fn, kwargs = CASES[name]
        try:
            out[name] = fn(**kwargs)
        except (BenchError, ImportError) as exc:  # a data file or the environment package is missing
            out[name] = {"missing": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
