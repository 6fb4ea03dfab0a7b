"""Plain net, the ResNet with its 10 blocks made plain (no identity path), CIFAR-10 24x24
(seed 000, "Introduction to ResNet in TensorFlow 2"); see bench/specs/families/resnet.py."""

from bench.specs.families.resnet import RESNET

SPEC = RESNET.spec(
    "plain10",
    "Plain net, the ResNet with its 10 blocks made plain (no identity path), CIFAR-10 24x24",
    hparams=dict(residual=False),
    # every figure and how it was measured: docs/parity.md#plain10
    tolerances={
        "predict_atol": 1e-6,  # measured 6e-11 (logits ~2e-5 at init); docs/parity.md#plain10
        "loss_rtol": 1.2e-2,  # measured 3.83e-3 itself (TF, 1e-7), 8.6e-4 across backends; docs/parity.md#plain10
        "bf16_loss_rtol": 2e-2,  # measured 7.04e-3 (PyTorch); docs/parity.md#plain10
    },
)
