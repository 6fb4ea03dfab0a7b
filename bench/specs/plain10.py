"""Plain net, the ResNet with its 10 blocks made plain (no identity path), CIFAR-10 24x24
(seed 000, "Introduction to ResNet in TensorFlow 2"); see bench/specs/_resnet.py."""

from bench.specs import _resnet

SPEC = _resnet.make(
    "plain10",
    "Plain net, the ResNet with its 10 blocks made plain (no identity path), CIFAR-10 24x24",
    residual=False,
    # with the Glorot kernels and BatchNorm's initial moving statistics (0, 1) every plain block
    # halves the signal: the logits at the canonical initial weights are ~2e-5 and differ between
    # inputs by ~2e-5, so the ResNet's 1e-4 could not tell a wrong network (measured: 6e-11)
    # loss_rtol: the first two Adam steps, measured 8.6e-4 (PyTorch against TensorFlow; bench/specs/_resnet.py)
    # bf16 against fp32 (tests/test_modes.py): the plain net's tiny logits lose more to bf16's
    # 8-bit mantissa; measured 7.04e-3 (PyTorch), 3x rounded
    tolerances=dict(_resnet.TOLERANCES, predict_atol=1e-6, loss_rtol=2e-3, bf16_loss_rtol=2e-2),
)
