"""Parity of the MNIST models (mlp, metrics_cnn, lenet5) across TensorFlow, PyTorch and Keras,
beyond what the generated parity tests (tests/test_generated.py) check for every spec: identical
canonical initial weights, the forward outputs (logits) within the spec's ``predict_atol`` = 1e-4
(float32 convolutions and matmuls run in different kernels, oneDNN and ATen, with different
summation orders; about 1e-6 is observed) and the first two losses within ``loss_rtol``.

Here every backend starts from the same canonical weights (bench.init), sees the same 10 batches
of the bundled digits (fast, needs no data file), and must agree on:

* the first 10 training losses: TF and Keras within 1e-5 relative (the same Keras Adam); PyTorch
  within the spec's ``loss_rtol`` = 5e-3. The gap is Adam's epsilon: Keras adds it to sqrt(v)
  before the bias correction, torch.optim.Adam after it, so in the first steps Keras's effective
  epsilon is 1e-7 / sqrt(1 - 0.999^t) (3e-6 at t=1) and weights with tiny gradients move
  differently (observed up to 1.1e-3 relative by step 10). With epsilon 1e-12 the gap shrinks
  to float32 rounding, which ``test_torch_gap_is_adams_epsilon`` checks;
* the loss definition: the first loss equals the harness's numpy cross-entropy of the logits
  plus, for LeNet-5, l2 * (sum of squares of the three dense kernels);
* weights copied through the canonical layout from one backend into the others give the same
  predictions (BatchNorm moving statistics included).
"""

import numpy as np
import pytest
from support import backends, build, settings

from bench import specs
from bench.data import batches
from bench.metrics import sparse_cross_entropy

ALGOS = ["mlp", "metrics_cnn", "lenet5"]
N_STEPS, N_EVAL = 10, 200


def _setup(algo, **overrides):
    overrides = dict(dataset="digits", **overrides)
    spec, hp = specs.get(algo), settings(algo, overrides)
    data = spec.load_data(hp, 0)
    order = list(batches(data.n_train, hp["batch_size"], np.random.default_rng(0)))[:N_STEPS]
    return spec, overrides, hp, data, [(data.x_train[i], data.y_train[i]) for i in order]


def _train(learner, steps):
    losses, after_first = [], None
    for x, y in steps:
        losses.append(float(learner.train_step(x, y)))
        if after_first is None:
            after_first = learner.get_weights()
    return np.array(losses), after_first


@pytest.fixture(scope="module", params=ALGOS)
def runs(request):
    algo = request.param
    spec, overrides, hp, data, steps = _setup(algo)
    x_eval = data.x_eval[:N_EVAL]
    out = {"algo": algo, "spec": spec, "hp": hp, "steps": steps, "x_eval": x_eval, "learners": {},
           "backends": backends(algo)}
    for b in out["backends"]:
        learner, _, _ = build(algo, b, overrides)
        init = learner.get_weights()
        first_logits = learner.predict(steps[0][0])
        losses, after_first = _train(learner, steps)
        out[b] = dict(init=init, first_logits=first_logits, losses=losses, after_first=after_first,
                      trained=learner.get_weights())
        out["learners"][b] = learner
    return out


def test_first_training_losses_agree(runs):
    ref = runs["tf"]["losses"]
    assert ref[-1] < ref[0]  # it learns
    np.testing.assert_allclose(runs["keras"]["losses"], ref, rtol=1e-5)
    np.testing.assert_allclose(runs["torch"]["losses"], ref, rtol=runs["spec"].tolerances["loss_rtol"])


def test_first_loss_is_the_stated_loss(runs):
    """Loss = mean sparse cross-entropy of the logits (+ l2 * sum of squares of the dense
    kernels for LeNet-5), in every backend. (The BatchNorm CNN trains on batch statistics, which
    predict() does not use; its loss is covered by the cross-backend agreement above.)"""
    hp = runs["hp"]
    if "bn_momentum" in hp:
        pytest.skip("BatchNorm: the training loss uses batch statistics")
    y = runs["steps"][0][1]
    for b in runs["backends"]:
        expected = sparse_cross_entropy(runs[b]["first_logits"], y).mean()
        if "l2" in hp:
            w = runs[b]["init"]
            expected += hp["l2"] * sum(float(np.sum(w[f"{d}/kernel"].astype(np.float64) ** 2))
                                       for d in ("fc1", "fc2", "fc3"))
        assert runs[b]["losses"][0] == pytest.approx(expected, rel=1e-5), b


def test_weights_round_trip_between_backends(runs):
    """Weights trained in PyTorch, copied through the canonical layout into TF and Keras, give
    the same weights back and the same predictions (BatchNorm moving statistics included)."""
    trained = runs["torch"]["trained"]
    x_eval = runs["x_eval"]
    ref = runs["learners"]["torch"].predict(x_eval)
    for b in ("tf", "keras"):
        learner = runs["learners"][b]
        learner.set_weights(trained)
        for name, value in learner.get_weights().items():
            np.testing.assert_array_equal(value, trained[name], err_msg=f"{b} {name}")
        np.testing.assert_allclose(learner.predict(x_eval), ref, atol=runs["spec"].tolerances["predict_atol"],
                                   rtol=0, err_msg=b)


def test_set_weights_rejects_wrong_shapes(runs):
    learner = runs["learners"]["torch"]
    bad = dict(learner.get_weights())
    name = next(iter(bad))
    bad[name] = np.zeros(bad[name].shape + (2,), np.float32)
    for b in runs["backends"]:
        with pytest.raises(ValueError, match=f"weight '{name}' has shape"):
            runs["learners"][b].set_weights(bad)


def test_batchnorm_moving_statistics(runs):
    """One step from identical weights: the moving means agree; the moving variances differ
    exactly by PyTorch's unbiased estimate, (v_torch - m) = (v_keras - m) * n / (n - 1) with
    n = batch x height x width, the stated and accepted difference."""
    if runs["algo"] != "metrics_cnn":
        pytest.skip("no BatchNorm")
    hp = runs["hp"]
    m, batch = hp["bn_momentum"], len(runs["steps"][0][0])
    sides = {"bn1": 13, "bn2": 6}  # 28 -conv2-> 27 -pool-> 13 -conv2-> 12 -pool-> 6
    for bn, side in sides.items():
        n = batch * side * side
        ref = runs["tf"]["after_first"]
        for b in ("keras", "torch"):
            got = runs[b]["after_first"]
            np.testing.assert_allclose(got[f"{bn}/moving_mean"], ref[f"{bn}/moving_mean"], atol=1e-6, err_msg=b)
        np.testing.assert_allclose(runs["keras"]["after_first"][f"{bn}/moving_variance"],
                                   ref[f"{bn}/moving_variance"], rtol=1e-6)
        keras_part = ref[f"{bn}/moving_variance"].astype(np.float64) - m
        torch_part = runs["torch"]["after_first"][f"{bn}/moving_variance"].astype(np.float64) - m
        live = np.abs(keras_part) > 1e-5
        np.testing.assert_allclose(torch_part[live], keras_part[live] * n / (n - 1), rtol=1e-3)


@pytest.mark.parametrize("algo", ALGOS)
def test_torch_gap_is_adams_epsilon(algo):
    """With Adam's epsilon negligible, PyTorch's first 10 losses match TF's to float32 rounding."""
    _, overrides, _, _, steps = _setup(algo, adam_epsilon=1e-12)
    tf_losses, _ = _train(build(algo, "tf", overrides)[0], steps)
    torch_losses, _ = _train(build(algo, "torch", overrides)[0], steps)
    np.testing.assert_allclose(torch_losses, tf_losses, rtol=3e-5)
