"""Parity of the three ResNet50 backbones (impls/*/resnet50.py) given the same canonical weights.

* Features: the head is set to the identity (``n_classes`` = 2048, kernel = I, bias = 0), so
  ``predict`` returns the backbone's global-average-pooled features. They agree to
  ``features_rtol`` (1e-4) of their largest value: 53 conv layers in float32, whose kernels
  (oneDNN in TF and Keras, PyTorch's own) sum up to 4608-term dot products in different orders.
* Frozen-backbone training (the transfer arm): the same losses and head weights after 3 Adam
  steps on the same batches, and not one backbone weight or moving statistic changed.
* Full training (the source task): the first loss (batch statistics) agrees, and the backbone
  and its moving statistics do move (slow: a ResNet50 training step traced in three frameworks
  takes minutes on two cores).

(At the canonical initial weights of the quick budgets, the outputs and the first two losses of
both ResNet50 specs are compared across backends by the generated parity tests,
tests/test_generated.py, also slow.)

The weights are random but scaled like a trained network's (BatchNorm statistics that keep the
activations of order 1 through 16 blocks), so a wrong stride, padding, block order or BatchNorm
mode changes the features far beyond the tolerance.
"""

import numpy as np
import pytest
from support import backends, build, others, reference_backend

from bench import specs
from bench.core.arch.resnet50 import canonical_shapes
from bench.specs.families import transfer as _transfer

RTOL = _transfer.TOLERANCES["features_rtol"]


def realistic_weights(n_classes, seed=0):
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in canonical_shapes(n_classes).items():
        layer, kind = name.split("/")
        if kind == "kernel":
            fan_in = int(np.prod(shape[:-1]))
            v = rng.normal(0, np.sqrt(2.0 / fan_in), shape)
        elif kind == "gamma":  # the residual branch's last BatchNorm small, as in trained ResNets
            v = rng.uniform(0.1, 0.3, shape) if layer.endswith("_3_bn") else rng.uniform(0.8, 1.2, shape)
        elif kind == "moving_variance":
            v = rng.uniform(0.5, 1.5, shape)
        else:  # biases, beta, moving_mean
            v = rng.normal(0, 0.05, shape)
        out[name] = v.astype(np.float32)
    return out


def _learners(algo, overrides, weights):
    out = {}
    for b in backends(algo):
        learner, _, _ = build(algo, b, overrides)
        learner.set_weights(weights)
        out[b] = learner
    return out


@pytest.fixture(scope="module")
def images():
    spec = specs.get("transfer_resnet50")
    data = spec.load_data(spec.resolve("quick"), 0)
    return data.x_train[:12], data.y_train[:12]


def test_backbone_features_agree(images):
    w = realistic_weights(2048)
    w["head/kernel"], w["head/bias"] = np.eye(2048, dtype=np.float32), np.zeros(2048, np.float32)
    learners = _learners("transfer_resnet50", dict(n_classes=2048, weights="random"), w)
    x = images[0][:4]
    feats = {b: learners[b].predict(x) for b in learners}
    ref = feats[reference_backend("transfer_resnet50")]
    assert ref.shape == (4, 2048) and np.isfinite(ref).all() and ref.std() > 0.1
    for b in others("transfer_resnet50"):
        err = np.abs(feats[b] - ref).max() / np.abs(ref).max()
        assert err <= RTOL, f"{b} features differ from the reference by {err:.2e} of their scale"
    # the features distinguish images: a wrong network would not agree by chance
    assert np.abs(ref[0] - ref[1]).max() > 100 * RTOL * np.abs(ref).max()


def test_frozen_backbone_training_agrees_and_trains_only_the_head(images):
    w = realistic_weights(1)
    learners = _learners("transfer_resnet50", dict(weights="random"), w)
    x, y = images
    losses = {b: [float(learners[b].train_step(x[i : i + 4], y[i : i + 4])) for i in (0, 4, 8)] for b in learners}
    after = {b: learners[b].get_weights() for b in learners}
    probs = {b: learners[b].predict(images[0][:4][::-1] * 0.9) for b in learners}
    ref = reference_backend("transfer_resnet50")
    for b in learners:
        np.testing.assert_allclose(losses[b], losses[ref], rtol=RTOL, err_msg=b)
        changed = sorted(k for k in w if not np.array_equal(after[b][k], w[k]))
        assert changed == ["head/bias", "head/kernel"], f"{b} changed {changed[:5]}"
        # Adam's first steps move each weight by about lr * sign(gradient): a head weight whose
        # gradient is rounding noise (a feature near 0 on these images) can move by up to lr per
        # step in either direction. Those weights multiply near-zero features, so the trained
        # heads compute the same function: compare its outputs on other images.
        diff = np.abs(after[b]["head/kernel"] - after[ref]["head/kernel"])
        assert diff.max() <= 2 * 1e-3 * 3, (b, diff.max())
        np.testing.assert_allclose(probs[b], probs[ref], atol=1e-4, rtol=0, err_msg=b)
    assert losses[ref][2] != losses[ref][0]


@pytest.mark.slow
def test_full_training_moves_the_backbone():
    spec = specs.get("resnet50_cifar10")
    data = spec.load_data(spec.resolve("quick"), 0)
    x, y = data.x_train[:8], data.y_train[:8]
    w = realistic_weights(10)
    learners = _learners("resnet50_cifar10", {}, w)
    first = {b: float(learners[b].train_step(x, y)) for b in learners}
    for b in learners:
        assert np.isfinite(first[b])
        np.testing.assert_allclose(first[b], first[reference_backend("resnet50_cifar10")], rtol=RTOL, err_msg=b)
        after = learners[b].get_weights()
        for name in ("conv1_conv/kernel", "conv3_block1_2_conv/kernel", "conv5_block3_3_bn/moving_mean"):
            assert not np.array_equal(after[name], w[name]), f"{b}: {name} did not change"


def test_parameter_counts(images):
    learner, hp, spec = build("transfer_resnet50", "torch")
    data = spec.load_data(hp, 0)
    m = spec.evaluate(learner, data, hp)
    assert (m["params"], m["params_all"]) == (2_049, 23_589_761)
