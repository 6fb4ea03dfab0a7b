"""The PyTorch optimizers and BatchNorm against Keras's, on identical inputs: the same gradient
stream into impls/torch/_optim.py and impls/keras/_optim.py, the same batches into
impls/torch/_cnn.py's BatchNorm and keras.layers.BatchNormalization. Agreement is to float32
rounding: ``RTOL`` = 1e-6 relative to the largest value (measured: 8e-8 after 50 Adam steps,
7e-8 after 50 SGD steps; 1e-7 for the moving statistics). The formulas the suite does not use
(torch.optim.Adam's epsilon after the bias correction, nn.BatchNorm's unbiased running variance)
are checked to differ by far more, so the comparison can tell them apart."""

import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("ignore")
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

RTOL = 1e-6
SHAPES = [(5, 3), (3,), (7, 2, 2)]


def _hp(kind, clip=0.0):
    return dict(optimizer=kind, lr=1e-2, adam_beta1=0.9, adam_beta2=0.999, adam_epsilon=1e-7, grad_clip_norm=clip)


def _run(hp, steps=50):
    """Weights after ``steps`` updates of the same gradients in PyTorch and Keras."""
    from impls.keras._optim import optimizer as keras_optimizer
    from impls.torch._optim import optimizer as torch_optimizer

    rng = np.random.default_rng(0)
    w0 = [rng.normal(size=s).astype(np.float32) for s in SHAPES]
    # gradients from 1e-8 to 10 in magnitude: where epsilon's placement matters, and where it does not
    grads = [
        [(rng.normal(size=s) * 10.0 ** rng.uniform(-8, 1, size=s)).astype(np.float32) for s in SHAPES]
        for _ in range(steps)
    ]
    params = [torch.nn.Parameter(torch.tensor(w)) for w in w0]
    opt = torch_optimizer(params, hp)
    variables = [keras.Variable(w) for w in w0]
    kopt = keras_optimizer(hp)
    for g in grads:
        for p, gi in zip(params, g):
            p.grad = torch.tensor(gi)
        opt.step()
        kopt.apply_gradients(zip([keras.ops.convert_to_tensor(gi) for gi in g], variables))
    return ([p.detach().numpy() for p in params], [keras.ops.convert_to_numpy(v) for v in variables], w0, opt)


def _gap(a, b):
    return max(float(np.abs(x - y).max() / np.abs(y).max()) for x, y in zip(a, b))


@pytest.mark.parametrize("kind", ["adam", "sgd"])
@pytest.mark.parametrize("clip", [0.0, 0.5])
def test_torch_optimizer_is_keras_formula(kind, clip):
    ours, theirs, w0, _ = _run(_hp(kind, clip))
    assert _gap(theirs, w0) > 1e3 * RTOL  # the weights moved
    assert _gap(ours, theirs) <= RTOL


def test_clipping_is_active():
    """With clip 0.5 the global norm (~10 here) is clipped: the result differs from no clipping."""
    clipped, _, _, _ = _run(_hp("adam", 0.5))
    free, _, _, _ = _run(_hp("adam", 0.0))
    assert _gap(clipped, free) > 1e3 * RTOL


def test_adam_native_is_torch_formula():
    ours, theirs, _, opt = _run(_hp("adam-native"))
    assert type(opt) is torch.optim.Adam
    assert _gap(ours, theirs) > 1e3 * RTOL  # epsilon after the bias correction: another trajectory


@pytest.mark.parametrize("dims", [2, 4])
def test_batchnorm_moving_statistics_keras_rule(dims):
    from impls.torch._cnn import BatchNorm1d, BatchNorm2d

    rng = np.random.default_rng(1)
    c, m, eps = 6, 0.9, 1e-3
    shape = (8, c) if dims == 2 else (8, 5, 5, c)  # NHWC for Keras, permuted for PyTorch
    ours = (BatchNorm1d if dims == 2 else BatchNorm2d)(c, momentum=1 - m, eps=eps).train()
    native = (torch.nn.BatchNorm1d if dims == 2 else torch.nn.BatchNorm2d)(c, momentum=1 - m, eps=eps).train()
    theirs = keras.layers.BatchNormalization(momentum=m, epsilon=eps)
    for _ in range(3):
        x = (rng.normal(size=shape) * 3 + 1).astype(np.float32)
        xt = torch.tensor(x if dims == 2 else x.transpose(0, 3, 1, 2))
        y_ours, y_native = ours(xt), native(xt)
        y_keras = keras.ops.convert_to_numpy(theirs(x, training=True))
        np.testing.assert_allclose(y_ours.detach().numpy(), y_native.detach().numpy(), atol=1e-6)  # same normalisation
        y_ours = y_ours.detach().numpy()
        np.testing.assert_allclose(y_ours if dims == 2 else y_ours.transpose(0, 2, 3, 1), y_keras, atol=1e-5)
    mean, var = (keras.ops.convert_to_numpy(v) for v in (theirs.moving_mean, theirs.moving_variance))
    np.testing.assert_allclose(ours.running_mean.numpy(), mean, rtol=RTOL, atol=RTOL)
    np.testing.assert_allclose(ours.running_var.numpy(), var, rtol=RTOL)
    # nn.BatchNorm's unbiased estimate: n / (n - 1) times the batch variance's share
    assert np.abs(native.running_var.numpy() - var).max() > 1e3 * RTOL * np.abs(var).max()
