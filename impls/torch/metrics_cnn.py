"""The metrics CNN in PyTorch: nn.Conv2d (padding 0 = VALID), max_pool2d, BatchNorm2d with
momentum 1 - hp["bn_momentum"] (PyTorch counts the weight of the new batch), eps hp["bn_epsilon"]
and Keras's moving-statistics rule (biased batch variance, impls/torch/_cnn.py). NCHW inside,
flattened in NHWC order for the canonical dense kernel."""

import torch.nn.functional as F
from torch import nn

from impls.torch._cnn import BatchNorm2d
from impls.torch._learner import ClassifierLearner


class Net(nn.Module):
    def __init__(self, hp):
        super().__init__()
        k, f, p = hp["kernel_size"], hp["filters"], hp["pool"]
        side = ((hp["image_size"] - k + 1) // p - k + 1) // p
        self.pool = p
        self.conv1 = nn.Conv2d(1, f, k, stride=1, padding=0)
        self.bn1 = BatchNorm2d(f, eps=hp["bn_epsilon"], momentum=1.0 - hp["bn_momentum"])
        self.conv2 = nn.Conv2d(f, f, k, stride=1, padding=0)
        self.bn2 = BatchNorm2d(f, eps=hp["bn_epsilon"], momentum=1.0 - hp["bn_momentum"])
        self.dense = nn.Linear(side * side * f, hp["n_classes"])

    def forward(self, x):  # x: NHWC
        x = x.permute(0, 3, 1, 2)
        x = self.bn1(F.max_pool2d(F.relu(self.conv1(x)), self.pool, self.pool))
        x = self.bn2(F.max_pool2d(F.relu(self.conv2(x)), self.pool, self.pool))
        return self.dense(x.permute(0, 2, 3, 1).flatten(1))


class Learner(ClassifierLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self._setup(Net(hp))
