"""Parity of linear and maximum-likelihood regression across TF, PyTorch, Keras and the numpy
reference: same initial weights (through the canonical layout) -> same predictions and same
first training losses; after the full budget every backend reaches the known solution."""

import numpy as np
import pytest

from bench import specs
from bench.config import RunConfig
from bench.runner import build_learner, prepare, run_cell

ALGOS = ["linreg", "mle_normal", "mle_hetero"]
BACKENDS = ["tf", "torch", "keras"]


def _batches(data, hp, n):
    bs = hp["batch_size"] or len(data.x_train)
    rng = np.random.default_rng(0)
    out = []
    while len(out) < n:
        order = rng.permutation(len(data.x_train))
        out += [order[i:i + bs] for i in range(0, len(order), bs)]
    return [(data.x_train[i], data.y_train[i]) for i in out[:n]]


@pytest.fixture(scope="module")
def reference():
    """The numpy reference learners, their predictions and first 10 losses."""
    out = {}
    for algo in ALGOS:
        p = prepare(RunConfig.create(algo, "numpy"))
        pred0 = p.learner.predict(p.data.x_eval)
        losses = [float(p.learner.train_step(x, y)) for x, y in _batches(p.data, p.hp, 10)]
        out[algo] = (p, pred0, losses, p.learner.get_weights())
    return out


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("algo", ALGOS)
def test_same_predictions_and_first_losses(reference, algo, backend):
    ref, pred0, ref_losses, _ = reference[algo]
    spec, hp = ref.spec, ref.hp
    learner = build_learner(spec, hp, backend, seed=0)
    # the canonical initial weights are the numpy reference's, exactly
    init = build_learner(spec, hp, "numpy", seed=0).get_weights()
    for name, value in learner.get_weights().items():
        np.testing.assert_array_equal(value, init[name])
    np.testing.assert_allclose(learner.predict(ref.data.x_eval), pred0,
                               atol=spec.tolerances["predict_atol"], rtol=1e-6)
    losses = [float(learner.train_step(x, y)) for x, y in _batches(ref.data, hp, 10)]
    np.testing.assert_allclose(losses, ref_losses, rtol=spec.tolerances["loss_rtol"])


@pytest.mark.parametrize("algo", ALGOS)
def test_weights_round_trip_between_backends(reference, algo):
    """Weights trained in one backend, copied through the canonical layout into the others,
    give the same predictions."""
    ref, _, _, trained = reference[algo]
    preds = {}
    for backend in BACKENDS:
        learner = build_learner(ref.spec, ref.hp, backend, seed=1)
        learner.set_weights(trained)
        preds[backend] = learner.predict(ref.data.x_eval)
        for name, value in learner.get_weights().items():
            np.testing.assert_allclose(value, trained[name], rtol=0, atol=0)
    for backend in BACKENDS[1:]:
        np.testing.assert_allclose(preds[backend], preds[BACKENDS[0]], atol=1e-5, rtol=1e-6)


def test_set_weights_rejects_wrong_shape():
    p = prepare(RunConfig.create("mle_normal", "numpy"))
    learner = build_learner(p.spec, p.hp, "torch", seed=0)
    bad = {k: np.zeros(v.shape + (2,), np.float32) for k, v in learner.get_weights().items()}
    with pytest.raises(ValueError, match="dense/bias|dense/kernel"):
        learner.set_weights(bad)


@pytest.fixture(scope="module")
def full_runs():
    """Every backend trained to the full budget, in this process (no subprocess start-up)."""
    return {(a, b): run_cell(RunConfig.create(a, b, budget="full")) for a in ALGOS for b in BACKENDS + ["numpy"]}


@pytest.mark.parametrize("backend", BACKENDS + ["numpy"])
def test_linreg_reaches_closed_form(full_runs, backend):
    r = full_runs[("linreg", backend)]
    tol = specs.get("linreg").tolerances
    assert r.status == "ok", r.error
    assert r.metrics["param_dist"] <= tol["param_dist"], r.metrics
    assert r.target_reached and r.time_to_target_s > 0 and r.steps_to_target > 0
    assert abs(r.metrics["W"] - 2.0) < 0.05  # the true slope; the closed form itself is 2.0077
    # the curve decreases from the start to the end of training
    assert r.curve[-1]["param_dist"] < r.curve[0]["param_dist"] / 10


@pytest.mark.parametrize("backend", BACKENDS + ["numpy"])
@pytest.mark.parametrize("algo", ["mle_normal", "mle_hetero"])
def test_mle_recovers_line(full_runs, algo, backend):
    r = full_runs[(algo, backend)]
    tol = specs.get(algo).tolerances
    assert r.status == "ok", r.error
    m = r.metrics
    assert m["slope_err"] <= tol["slope_err"] and m["intercept_err"] <= tol["intercept_err"], m
    assert m["ls_gap"] <= tol["ls_gap"], m
    if algo == "mle_hetero":
        assert m["std_at_9"] > m["std_at_1"], m
        # and the predicted std is close to the data's (2.5 at x=1, 6.5 at x=9)
        assert 1.5 < m["std_at_1"] < 3.5 and 4.5 < m["std_at_9"] < 8.5, m


@pytest.mark.parametrize("algo", ALGOS)
def test_backends_agree_after_full_budget(full_runs, algo):
    metric = specs.get(algo).metric
    values = [full_runs[(algo, b)].metrics[metric] for b in BACKENDS + ["numpy"]]
    assert max(values) - min(values) <= 1e-2 * max(1.0, abs(values[0])), values
