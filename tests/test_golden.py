"""Golden numerics from seed 002 (CNN deck and DQN deck), through each backend's own ops.

* conv2d: the 7x7x3 zero-padded input with two 3x3x3 filters, stride 2, VALID, biases (1, 0)
  gives the 3x3x2 output printed in the deck;
* max-pool: the 4x4x2 example, 2x2 window, stride 1, VALID, gives the printed 3x3x2 result;
* softmax: the naive exp(x)/sum(exp(x)) overflows (nan) where the stable version (subtract the
  maximum) and every backend's softmax do not;
* Hessian of q(x, y) = x^2 + 2xy + 3y^2 + 4x + 5y + 6 is [[2, 2], [2, 6]] at any point.
"""

import os

import numpy as np
import pytest
from support import ALL_BACKENDS

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

# The deck's slides, channel by channel (x[:, :, c], W0[:, :, c], W1[:, :, c]).
X_CHANNELS = [
    [
        [0, 0, 0, 0, 0, 0, 0],
        [0, 0, 1, 2, 0, 1, 0],
        [0, 2, 0, 1, 0, 0, 0],
        [0, 0, 0, 2, 2, 1, 0],
        [0, 2, 2, 0, 1, 0, 0],
        [0, 1, 2, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0],
    ],
    [
        [0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 1, 0, 0, 0],
        [0, 0, 1, 1, 2, 1, 0],
        [0, 0, 2, 1, 0, 0, 0],
        [0, 2, 1, 2, 1, 0, 0],
        [0, 2, 1, 1, 1, 2, 0],
        [0, 0, 0, 0, 0, 0, 0],
    ],
    [
        [0, 0, 0, 0, 0, 0, 0],
        [0, 1, 0, 1, 2, 2, 0],
        [0, 0, 1, 2, 0, 1, 0],
        [0, 0, 1, 0, 2, 2, 0],
        [0, 0, 1, 1, 2, 0, 0],
        [0, 2, 2, 2, 1, 1, 0],
        [0, 0, 0, 0, 0, 0, 0],
    ],
]
W0 = [
    [[-1, 0, 1], [0, 1, 0], [0, -1, -1]],
    [[0, -1, -1], [-1, 1, -1], [0, -1, 1]],
    [[0, -1, 1], [0, 0, -1], [0, 1, -1]],
]
W1 = [
    [[1, 1, 0], [-1, -1, 0], [1, 1, -1]],
    [[0, -1, 0], [-1, 0, -1], [-1, -1, 1]],
    [[1, 0, 0], [-1, -1, 0], [1, -1, -1]],
]
BIAS = np.array([1.0, 0.0], np.float32)
# Output volume o[:, :, 0] and o[:, :, 1] as printed.
CONV_OUT = np.stack(
    [
        [[-1, 4, 2], [-8, -8, 0], [1, -4, 1]],
        [[1, -4, -9], [-2, -7, -6], [-4, -7, 0]],
    ],
    -1,
).astype(np.float32)

X = np.stack(X_CHANNELS, -1).astype(np.float32)[None]  # (1, 7, 7, 3) NHWC
W = np.stack([np.stack(W0, -1), np.stack(W1, -1)], -1).astype(np.float32)  # (3, 3, 3, 2) HWIO

# Pooling example: tf.reshape of the (2, 4, 4) constant to [1, 4, 4, 2], and the printed result.
POOL_IN = np.array(
    [
        [[1, 2, 3, 4], [5, 6, 7, 8], [8, 7, 6, 5], [4, 3, 2, 1]],
        [[4, 3, 2, 1], [8, 7, 6, 5], [1, 2, 3, 4], [5, 6, 7, 8]],
    ],
    np.float32,
).reshape(1, 4, 4, 2)
POOL_OUT = np.array([[[8, 7], [6, 6], [7, 8]], [[8, 7], [8, 7], [8, 7]], [[4, 4], [8, 7], [8, 8]]], np.float32)

HESSIAN = np.array([[2.0, 2.0], [2.0, 6.0]])
BACKENDS = ALL_BACKENDS  # each framework's primitives, and numpy's


def test_inputs_match_the_printed_code():
    """The slides' tables agree with the deck's code listing: its filter[0][0] is
    [[-1, 1], [0, 0], [0, 1]] and its printed input channel 0 is the table without the pad."""
    assert W[0, 0].tolist() == [[-1, 1], [0, 0], [0, 1]]
    assert X[0, 1:6, 1:6, 0].tolist()[0] == [0, 1, 2, 0, 1]
    assert POOL_IN[0, 0].tolist() == [[1, 2], [3, 4], [5, 6], [7, 8]]


def conv(backend, x, w, b, stride, pad=0):
    """NHWC conv through one backend's own op; ``pad`` explicit zero padding on H and W."""
    if backend == "numpy":
        x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        k = w.shape[0]
        n = (x.shape[1] - k) // stride + 1
        out = np.zeros((1, n, n, w.shape[-1]), np.float32)
        for i in range(n):
            for j in range(n):
                patch = x[0, i * stride : i * stride + k, j * stride : j * stride + k, :]
                out[0, i, j] = np.tensordot(patch, w, axes=3) + b
        return out
    if backend == "tf":
        import tensorflow as tf

        padding = "VALID" if pad == 0 else [[0, 0], [pad, pad], [pad, pad], [0, 0]]
        return (tf.nn.conv2d(x, w, strides=stride, padding=padding) + b).numpy()
    if backend == "torch":
        import torch
        import torch.nn.functional as F

        from bench.core.layout import conv_to_torch, nchw_to_nhwc, nhwc_to_nchw

        out = F.conv2d(
            torch.as_tensor(nhwc_to_nchw(x)),
            torch.as_tensor(conv_to_torch(w)),
            torch.as_tensor(b),
            stride=stride,
            padding=pad,
        )
        return nchw_to_nhwc(out.numpy())
    import keras

    layer = keras.layers.Conv2D(w.shape[-1], w.shape[0], strides=stride, padding="valid")
    layer.build(x.shape if pad == 0 else (1, x.shape[1] + 2 * pad, x.shape[2] + 2 * pad, x.shape[3]))
    layer.set_weights([w, b])
    if pad:
        x = keras.layers.ZeroPadding2D(pad)(x)
    return keras.ops.convert_to_numpy(layer(x))


@pytest.mark.parametrize("backend", BACKENDS)
def test_conv2d_multichannel_multifilter(backend):
    out = conv(backend, X, W, BIAS, stride=2)
    assert out.shape == (1, 3, 3, 2)
    np.testing.assert_array_equal(out[0], CONV_OUT)


@pytest.mark.parametrize("backend", BACKENDS)
def test_conv2d_explicit_padding_of_the_5x5_input(backend):
    """The 7x7 input is the 5x5 one padded by 1: explicit padding 1 gives the same output."""
    out = conv(backend, X[:, 1:6, 1:6, :], W, BIAS, stride=2, pad=1)
    np.testing.assert_array_equal(out[0], CONV_OUT)


def max_pool(backend, x):
    if backend == "numpy":
        return np.stack([[x[0, i : i + 2, j : j + 2].max((0, 1)) for j in range(3)] for i in range(3)])[None]
    if backend == "tf":
        import tensorflow as tf

        return tf.nn.max_pool2d(x, ksize=2, strides=1, padding="VALID").numpy()
    if backend == "torch":
        import torch
        import torch.nn.functional as F

        from bench.core.layout import nchw_to_nhwc, nhwc_to_nchw

        return nchw_to_nhwc(F.max_pool2d(torch.as_tensor(nhwc_to_nchw(x)), 2, stride=1).numpy())
    import keras

    return keras.ops.convert_to_numpy(keras.layers.MaxPooling2D(2, strides=1, padding="valid")(x))


@pytest.mark.parametrize("backend", BACKENDS)
def test_max_pool_2x2_stride_1_valid(backend):
    out = max_pool(backend, POOL_IN)
    assert out.shape == (1, 3, 3, 2)
    np.testing.assert_array_equal(out[0], POOL_OUT)


def naive_softmax(x):
    e = np.exp(x)
    return e / np.sum(e)


def stable_softmax(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def softmax(backend, x):
    x = np.asarray(x, np.float32)
    if backend == "numpy":
        return stable_softmax(x)
    if backend == "tf":
        import tensorflow as tf

        return tf.nn.softmax(x).numpy()
    if backend == "torch":
        import torch

        return torch.softmax(torch.as_tensor(x), dim=-1).numpy()
    import keras

    return keras.ops.convert_to_numpy(keras.ops.softmax(x))


SOFTMAX_123 = np.array([0.09003057317038046, 0.24472847105479764, 0.6652409557748219])


def test_naive_softmax_overflows_where_stable_does_not():
    big = np.array([1000.0, 1001.0, 1002.0])  # exp(1000) is beyond float64's ~1.8e308
    with np.errstate(over="ignore", invalid="ignore"):
        naive = naive_softmax(big)
    assert np.isnan(naive).all()
    np.testing.assert_allclose(stable_softmax(big), SOFTMAX_123, rtol=1e-12)
    np.testing.assert_allclose(naive_softmax(np.array([1.0, 2.0, 3.0])), SOFTMAX_123, rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shift", [0.0, 1000.0, 1e30])
def test_backend_softmax_is_stable(backend, shift):
    """float32 overflows at exp(89); the backends' softmax must shift by the maximum."""
    p = softmax(backend, np.array([1.0, 2.0, 3.0]) + shift)
    assert np.isfinite(p).all()
    if shift < 1e6:  # at 1e30 the float32 spacing (~1e23) swallows the differences 1 and 2
        np.testing.assert_allclose(p, SOFTMAX_123, rtol=1e-6)
    else:
        np.testing.assert_allclose(p, [1 / 3] * 3, rtol=1e-6)


def test_harness_log_softmax_is_stable():
    from bench.core.metrics import log_softmax, sparse_cross_entropy

    logits = np.array([[1000.0, 1001.0, 1002.0]])
    np.testing.assert_allclose(np.exp(log_softmax(logits))[0], SOFTMAX_123, rtol=1e-12)
    np.testing.assert_allclose(sparse_cross_entropy(logits, [2]), [-np.log(SOFTMAX_123[2])], rtol=1e-12)


def quadratic(x, y):
    return x * x + 2 * x * y + 3 * y * y + 4 * x + 5 * y + 6


def hessian_and_grad(backend, x0, y0):
    if backend == "numpy":  # central differences of the quadratic (exact up to rounding)
        h = 1e-3
        f = lambda v: quadratic(v[0], v[1])  # noqa: E731
        v, hess, grad = np.array([x0, y0]), np.zeros((2, 2)), np.zeros(2)
        for i in range(2):
            e_i = np.eye(2)[i] * h
            grad[i] = (f(v + e_i) - f(v - e_i)) / (2 * h)
            for j in range(2):
                e_j = np.eye(2)[j] * h
                hess[i, j] = (f(v + e_i + e_j) - f(v + e_i - e_j) - f(v - e_i + e_j) + f(v - e_i - e_j)) / (4 * h * h)
        return hess, grad
    if backend in ("tf", "keras"):
        import tensorflow as tf

        v = tf.Variable([x0, y0], dtype=tf.float64)
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                if backend == "keras":  # the function in keras.ops, differentiated by its TF backend
                    import keras

                    x, y = keras.ops.unstack(v)
                    f = keras.ops.add(quadratic(x, y), 0.0)
                else:
                    f = quadratic(v[0], v[1])
            g = inner.gradient(f, v)
        return outer.jacobian(g, v).numpy(), g.numpy()
    import torch

    v = torch.tensor([x0, y0], dtype=torch.float64, requires_grad=True)
    hess = torch.autograd.functional.hessian(lambda t: quadratic(t[0], t[1]), v)
    (grad,) = torch.autograd.grad(quadratic(v[0], v[1]), v)
    return hess.numpy(), grad.numpy()


@pytest.mark.parametrize("backend", BACKENDS)
def test_hessian_of_the_quadratic(backend):
    rng = np.random.default_rng(0)
    for x0, y0 in rng.random((3, 2)):  # the deck evaluates at a random point
        hess, grad = hessian_and_grad(backend, float(x0), float(y0))
        tol = 1e-6 if backend == "numpy" else 0.0
        np.testing.assert_allclose(hess, HESSIAN, atol=tol)
        np.testing.assert_allclose(grad, [2 * x0 + 2 * y0 + 4, 2 * x0 + 6 * y0 + 5], rtol=1e-12, atol=tol)


def test_running_metrics_as_in_seed_000():
    """Seed 000's metrics example: Mean of 2, 3, 4 is 3.0; after a reset the empty result is
    0.0. SparseCategoricalAccuracy takes integer labels and logits, accumulated over calls."""
    from bench.core.metrics import RunningMean, SparseCategoricalAccuracy

    mean = RunningMean()
    for v in (2.0, 3.0, 4.0):
        mean.update(v)
    assert mean.result() == 3.0
    mean.reset()
    assert mean.result() == 0.0
    mean.update([1.0, 5.0], weights=[3, 1])
    assert mean.result() == 2.0
    acc = SparseCategoricalAccuracy()
    acc.update([0, 1], np.array([[2.0, -1.0], [0.5, 0.1]]))  # right, wrong
    acc.update([1], np.array([[-3.0, 3.0]]))  # right
    assert acc.result() == pytest.approx(2 / 3)
    acc.reset()
    assert acc.result() == 0.0
