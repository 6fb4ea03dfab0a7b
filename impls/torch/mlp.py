"""MLP 784-300-10 in PyTorch: nn.Linear layers, F.cross_entropy (mean), the spec's
optimizer (impls/torch/_optim.py)."""

import torch.nn.functional as F
from torch import nn

from impls.torch._learner import ClassifierLearner


class Net(nn.Module):
    def __init__(self, n_in, hidden, n_classes):
        super().__init__()
        self.dense1 = nn.Linear(n_in, hidden)
        self.dense2 = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return self.dense2(F.relu(self.dense1(x)))


class Learner(ClassifierLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self._setup(Net(hp["image_size"] ** 2, hp["hidden"], hp["n_classes"]))
