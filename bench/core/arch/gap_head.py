"""The shared 3-conv head of the Cats-vs-Dogs classifier-tail specs (bench/specs/families/gap_head.py):
three blocks of Conv2D(kernel_size, 'valid') -> BatchNorm -> ReLU -> MaxPool(pool_size)."""

from __future__ import annotations


def feature_size(hp) -> int:
    """Height (= width) of the head's output feature map: 10 for 100x100 inputs."""
    s = hp["image_size"]
    for _ in range(3):
        s = (s - hp["kernel_size"] + 1) // hp["pool_size"]
    return s
