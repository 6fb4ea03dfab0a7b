"""Canonical weights of a PyTorch CNN built from named Conv2d / Linear / BatchNorm children:
"<child>/kernel|bias" and "<child>/gamma|beta|moving_mean|moving_variance" (bench.layout)."""

import torch
from torch import nn

from bench.interface import check_weights
from bench.layout import conv_from_torch, conv_to_torch, dense_from_torch, dense_to_torch

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
