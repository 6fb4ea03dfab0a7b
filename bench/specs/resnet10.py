"""ResNet, 10 residual blocks of 64 filters, CIFAR-10 24x24
(seed 000, "Introduction to ResNet in TensorFlow 2"); see bench/specs/families/resnet.py."""

from bench.specs.families.resnet import RESNET

SPEC = RESNET.spec("resnet10", "ResNet, 10 residual blocks of 64 filters, CIFAR-10 24x24")
