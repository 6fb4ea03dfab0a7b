"""ResNet50 (Keras's keras.applications.ResNet50 without its top) + global average pooling + a
Dense head, in PyTorch: an nn.Module whose children carry Keras's layer names (bench.core.arch.resnet50),
cross-entropy from logits (mean), the spec's optimizer. Inputs arrive NHWC and are permuted to NCHW.
With ``freeze_backbone`` the backbone is a constant feature extractor (BatchNorm on moving
statistics, no gradient) and the optimizer sees the head only."""

import torch
import torch.nn.functional as F
from torch import nn

from bench.core.arch.resnet50 import blocks
from impls.torch._cnn import BatchNorm2d as BatchNorm
from impls.torch._learner import ClassifierLearner


class Net(nn.Module):
    def __init__(self, hp):
        super().__init__()
        self.frozen, self.binary = bool(hp["freeze_backbone"]), hp["n_classes"] == 1
        bn = dict(momentum=1 - hp["bn_momentum"], eps=hp["bn_epsilon"])
        # padding=k//2: the stem's zero-pad 3 + 'valid', 'same' for the 3x3 convs, none for the 1x1
        self.conv1_conv, self.conv1_bn, c = nn.Conv2d(3, 64, 7, 2, padding=3), BatchNorm(64, **bn), 64
        for name, f, stride, shortcut in blocks():
            convs = ([("0", 1, c, 4 * f, stride)] if shortcut else []) + [
                ("1", 1, c, f, stride),
                ("2", 3, f, f, 1),
                ("3", 1, f, 4 * f, 1),
            ]
            for i, k, cin, cout, s in convs:
                setattr(self, f"{name}_{i}_conv", nn.Conv2d(cin, cout, k, s, padding=k // 2))
                setattr(self, f"{name}_{i}_bn", BatchNorm(cout, **bn))
            c = 4 * f
        if self.frozen:
            self.requires_grad_(False)
        self.head = nn.Linear(c, hp["n_classes"])

    def train(self, mode=True):
        return super().train(mode and not self.frozen)  # a frozen backbone's BatchNorm stays in inference mode

    def _conv_bn(self, x, name):
        return getattr(self, f"{name}_bn")(getattr(self, f"{name}_conv")(x))

    def features(self, x):
        """The backbone's output, globally average-pooled: (N, 2048)."""
        x = F.relu(self._conv_bn(x, "conv1"))
        x = F.max_pool2d(x, 3, 2, padding=1)  # x >= 0 after the ReLU: the same as zero-pad 1 + 'valid'
        for name, _, _, shortcut in blocks():
            h = F.relu(self._conv_bn(x, f"{name}_1"))
            h = F.relu(self._conv_bn(h, f"{name}_2"))
            h = self._conv_bn(h, f"{name}_3")
            x = F.relu((self._conv_bn(x, f"{name}_0") if shortcut else x) + h)
        return x.mean((2, 3))

    def forward(self, x):
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen):
            x = self.features(x)
        logits = self.head(x)
        return logits[:, 0] if self.binary else logits


class Learner(ClassifierLearner):
    nchw = True

    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.binary = hp["n_classes"] == 1
        self._setup(Net(hp))  # frozen: the backbone requires no gradient, so the optimizer sees the head only
