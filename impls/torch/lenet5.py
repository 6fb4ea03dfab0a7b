"""LeNet-5 in PyTorch: nn.Conv2d (padding 0 = VALID) / max_pool2d, NCHW inside, flattened in
NHWC order so the dense kernels share the canonical layout. L2 (sum of squares x hp["l2"]) on
the three dense weights is added to the mean cross-entropy (not weight_decay, which Adam would
apply differently)."""

import torch.nn.functional as F
from torch import nn

from impls.torch._learner import ClassifierLearner

DENSE = ("fc1", "fc2", "fc3")


class Net(nn.Module):
    def __init__(self, hp):
        super().__init__()
        k, c1, c2, p = hp["kernel_size"], hp["conv1_filters"], hp["conv2_filters"], hp["pool"]
        side = ((hp["image_size"] - k + 1) // p - k + 1) // p
        self.pool = p
        self.conv1 = nn.Conv2d(1, c1, k, stride=1, padding=0)
        self.conv2 = nn.Conv2d(c1, c2, k, stride=1, padding=0)
        self.fc1 = nn.Linear(side * side * c2, hp["fc1_units"])
        self.fc2 = nn.Linear(hp["fc1_units"], hp["fc2_units"])
        self.fc3 = nn.Linear(hp["fc2_units"], hp["n_classes"])

    def forward(self, x):  # x: NHWC
        x = x.permute(0, 3, 1, 2)
        x = F.max_pool2d(F.relu(self.conv1(x)), self.pool, self.pool)
        x = F.max_pool2d(F.relu(self.conv2(x)), self.pool, self.pool)
        x = x.permute(0, 2, 3, 1).flatten(1)  # NHWC order, as the canonical fc1/kernel
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class Learner(ClassifierLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self._setup(Net(hp))

    def _loss(self, x, y):
        l2 = sum(getattr(self.net, d).weight.square().sum() for d in DENSE)
        return super()._loss(x, y) + self.hp["l2"] * l2
