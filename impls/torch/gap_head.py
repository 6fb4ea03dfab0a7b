"""Cats vs Dogs, shared 3-conv head + GAP or fully-connected tail, in PyTorch: nn.Module,
BCE-with-logits (mean), the spec's optimizer (impls/torch/_optim.py), BatchNorm with
Keras's moving-statistics rule (impls/torch/_cnn.py). Inputs arrive NHWC and are permuted to NCHW; the
flatten of the fully-connected tail runs in NHWC order so its kernel matches the canonical one."""

import torch.nn.functional as F
from torch import nn

from bench.core.arch.gap_head import feature_size
from impls.torch._cnn import BatchNorm1d, BatchNorm2d
from impls.torch._learner import ClassifierLearner


class Net(nn.Module):
    def __init__(self, hp):
        super().__init__()
        self.hp, k, c = hp, hp["kernel_size"], 3
        bn = dict(momentum=1 - hp["bn_momentum"], eps=hp["bn_epsilon"])
        for i, f in enumerate((hp["filters1"], hp["filters2"], hp["filters3"]), 1):
            setattr(self, f"conv{i}", nn.Conv2d(c, f, k, padding=0))
            setattr(self, f"bn{i}", BatchNorm2d(f, **bn))
            c = f
        s, u = feature_size(hp), hp["dense_units"]
        if hp["tail"] == "gap":
            a = hp["avg_pool"]
            self.out = nn.Linear(c if a == 0 else c * (s // a) ** 2, 1)
        else:
            self.fc_bn1, self.fc1 = BatchNorm1d(s * s * c, **bn), nn.Linear(s * s * c, u)
            self.fc_bn2, self.fc2, self.out = BatchNorm1d(u, **bn), nn.Linear(u, u), nn.Linear(u, 1)

    def forward(self, x):
        p = self.hp["pool_size"]
        for i in (1, 2, 3):
            x = F.max_pool2d(F.relu(getattr(self, f"bn{i}")(getattr(self, f"conv{i}")(x))), p)
        if self.hp["tail"] == "gap":
            a = self.hp["avg_pool"]
            x = x.mean((2, 3)) if a == 0 else F.avg_pool2d(x, a).permute(0, 2, 3, 1).flatten(1)
            return self.out(x)[:, 0]
        x = F.relu(self.fc1(self.fc_bn1(x.permute(0, 2, 3, 1).flatten(1))))
        x = F.dropout(x, self.hp["dropout"], self.training)
        x = F.relu(self.fc2(self.fc_bn2(x)))
        return self.out(x)[:, 0]


class Learner(ClassifierLearner):
    binary, nchw = True, True

    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self._setup(Net(hp))
