"""Plain net, the ResNet with its 10 blocks made plain (no identity path), CIFAR-10 24x24 (seed 000, "Introduction to ResNet in TensorFlow 2"); see bench/specs/_resnet.py."""

from bench.specs import _resnet

SPEC = _resnet.make(
    "plain10",
    "Plain net, the ResNet with its 10 blocks made plain (no identity path), CIFAR-10 24x24",
    residual=False,
)
