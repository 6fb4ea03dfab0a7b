"""Canonical weights of a PyTorch CNN built from named Conv2d / Linear / BatchNorm children:
"<child>/kernel|bias" and "<child>/gamma|beta|moving_mean|moving_variance" (bench.core.layout); and
the BatchNorm every PyTorch net uses, with Keras's moving-statistics rule."""

import torch
from torch import nn

from bench.core.interface import check_weights
from bench.core.layout import conv_from_torch, conv_to_torch, dense_from_torch, dense_to_torch


class _KerasMoving:
    """Keras's moving-statistics update in training: moving = m * moving + (1 - m) * batch with
    m = 1 - ``momentum`` (PyTorch counts the new batch's weight) and the *biased* batch variance
    (nn.BatchNorm's own update uses the unbiased one, n / (n - 1) larger). Normalisation is
    nn.BatchNorm's; the batch statistics come out of the same kernel (no second pass)."""

    def forward(self, x):
        if not self.training:
            return super().forward(x)
        y, mean, invstd = torch.native_batch_norm(x, self.weight, self.bias, None, None, True, 0.0, self.eps)
        with torch.no_grad():  # invstd = 1 / sqrt(biased batch variance + eps)
            m = 1.0 - self.momentum
            self.running_mean.mul_(m).add_(mean, alpha=self.momentum)
            self.running_var.mul_(m).add_(invstd.pow(-2) - self.eps, alpha=self.momentum)
        return y


class BatchNorm2d(_KerasMoving, nn.BatchNorm2d):
    pass


class BatchNorm1d(_KerasMoving, nn.BatchNorm1d):
    pass


BN = {"gamma": "weight", "beta": "bias", "moving_mean": "running_mean", "moving_variance": "running_var"}
LAYERS = (nn.Conv2d, nn.Linear, nn.modules.batchnorm._BatchNorm)


def _layers(net):
    return {n.replace(".", "_"): m for n, m in net.named_modules() if isinstance(m, LAYERS)}


def batchnorms(net):
    """Canonical name -> BatchNorm module."""
    return {n: m for n, m in _layers(net).items() if isinstance(m, nn.modules.batchnorm._BatchNorm)}


def _np(t):
    return t.detach().cpu().numpy().copy()  # a copy: on CPU .numpy() shares the live tensor's memory


def get_weights(net):
    out = {}
    for name, m in _layers(net).items():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            frm = conv_from_torch if isinstance(m, nn.Conv2d) else dense_from_torch
            out[f"{name}/kernel"] = frm(_np(m.weight))
            out[f"{name}/bias"] = _np(m.bias)
        else:
            out.update({f"{name}/{k}": _np(getattr(m, t)) for k, t in BN.items()})
    return out


@torch.no_grad()
def set_weights(net, weights):
    check_weights(get_weights(net), weights)
    for name, m in _layers(net).items():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            to = conv_to_torch if isinstance(m, nn.Conv2d) else dense_to_torch
            m.weight.copy_(torch.as_tensor(to(weights[f"{name}/kernel"])))
            m.bias.copy_(torch.as_tensor(weights[f"{name}/bias"]))
        else:
            for k, t in BN.items():
                getattr(m, t).copy_(torch.as_tensor(weights[f"{name}/{k}"]))
