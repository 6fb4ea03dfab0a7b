"""ResNet / plain net on CIFAR-10 24x24 in PyTorch: nn.Module, F.cross_entropy (mean),
the spec's optimizer (impls/torch/_optim.py), BatchNorm with Keras's moving-statistics
rule (impls/torch/_cnn.py). Inputs arrive NHWC and are permuted to NCHW. 'same' for a 3x3 kernel at
stride 1 is padding=1 (kernel_size // 2)."""

import torch.nn.functional as F
from torch import nn

from impls.torch._cnn import BatchNorm2d
from impls.torch._learner import ClassifierLearner


class Net(nn.Module):
    def __init__(self, hp):
        super().__init__()
        self.hp, k, f = hp, hp["kernel_size"], hp["block_filters"]
        bn = dict(momentum=1 - hp["bn_momentum"], eps=hp["bn_epsilon"])
        self.conv1 = nn.Conv2d(3, hp["conv1_filters"], k)
        self.conv2 = nn.Conv2d(hp["conv1_filters"], hp["conv2_filters"], k)
        c = hp["conv2_filters"]
        for i in range(1, hp["blocks"] + 1):
            setattr(self, f"block{i}_conv1", nn.Conv2d(c, f, k, padding=k // 2))
            setattr(self, f"block{i}_bn1", BatchNorm2d(f, **bn))
            setattr(self, f"block{i}_conv2", nn.Conv2d(f, f, k, padding=k // 2))
            setattr(self, f"block{i}_bn2", BatchNorm2d(f, **bn))
            c = f
        self.conv3 = nn.Conv2d(c, f, k)
        self.dense = nn.Linear(f, hp["dense_units"])
        self.out = nn.Linear(hp["dense_units"], hp["n_classes"])

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), self.hp["pool_size"])
        for i in range(1, self.hp["blocks"] + 1):
            layer = lambda name, i=i: getattr(self, f"block{i}_{name}")  # noqa: E731
            h = layer("bn1")(F.relu(layer("conv1")(x)))
            h = layer("conv2")(h)
            x = F.relu(layer("bn2")(h) + x) if self.hp["residual"] else layer("bn2")(F.relu(h))
        x = F.relu(self.conv3(x)).mean((2, 3))
        x = F.dropout(F.relu(self.dense(x)), self.hp["dropout"], self.training)
        return self.out(x)


class Learner(ClassifierLearner):
    nchw = True

    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self._setup(Net(hp))
