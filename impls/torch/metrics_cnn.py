"""The metrics CNN in PyTorch: nn.Conv2d (padding 0 = VALID), max_pool2d, nn.BatchNorm2d with
momentum 1 - hp["bn_momentum"] (PyTorch counts the weight of the new batch) and eps
hp["bn_epsilon"]. NCHW inside, flattened in NHWC order for the canonical dense kernel.
Note: BatchNorm2d updates running_var with the unbiased batch variance (x n/(n-1)), Keras with
the biased one; see docs/vision.md."""

import torch
import torch.nn.functional as F
from torch import nn

from bench.interface import Learner as Base, check_weights
from bench.layout import conv_from_torch, conv_to_torch, dense_from_torch, dense_to_torch

BN = {"gamma": "weight", "beta": "bias", "moving_mean": "running_mean", "moving_variance": "running_var"}


class Net(nn.Module):
    def __init__(self, hp):
        super().__init__()
        k, f, p = hp["kernel_size"], hp["filters"], hp["pool"]
        side = ((hp["image_size"] - k + 1) // p - k + 1) // p
        self.pool = p
        self.conv1 = nn.Conv2d(1, f, k, stride=1, padding=0)
        self.bn1 = nn.BatchNorm2d(f, eps=hp["bn_epsilon"], momentum=1.0 - hp["bn_momentum"])
        self.conv2 = nn.Conv2d(f, f, k, stride=1, padding=0)
        self.bn2 = nn.BatchNorm2d(f, eps=hp["bn_epsilon"], momentum=1.0 - hp["bn_momentum"])
        self.dense = nn.Linear(side * side * f, hp["n_classes"])

    def forward(self, x):  # x: NHWC
        x = x.permute(0, 3, 1, 2)
        x = self.bn1(F.max_pool2d(F.relu(self.conv1(x)), self.pool, self.pool))
        x = self.bn2(F.max_pool2d(F.relu(self.conv2(x)), self.pool, self.pool))
        return self.dense(x.permute(0, 2, 3, 1).flatten(1))


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.dev = torch.device("cuda" if device == "gpu" else "cpu")
        self.net = Net(hp).to(self.dev)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=hp["lr"], eps=hp["adam_epsilon"],
                                    betas=(hp["adam_beta1"], hp["adam_beta2"]))

    def train_step(self, x, y):
        self.net.train()
        x, y = torch.as_tensor(x, device=self.dev), torch.as_tensor(y, device=self.dev)
        self.opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(self.net(x), y)
        loss.backward()
        self.opt.step()
        return loss.detach()

    @torch.no_grad()
    def predict(self, x):
        self.net.eval()
        return self.net(torch.as_tensor(x, dtype=torch.float32, device=self.dev)).cpu().numpy()

    def _tensors(self):
        for name in ("conv1", "conv2", "dense"):
            layer = getattr(self.net, name)
            yield f"{name}/kernel", layer.weight
            yield f"{name}/bias", layer.bias
        for name in ("bn1", "bn2"):
            for canon, attr in BN.items():
                yield f"{name}/{canon}", getattr(getattr(self.net, name), attr)

    def get_weights(self):
        out = {}
        for name, t in self._tensors():
            a = t.detach().cpu().numpy().copy()
            out[name] = conv_from_torch(a) if a.ndim == 4 else dense_from_torch(a) if a.ndim == 2 else a
        return out

    @torch.no_grad()
    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        for name, t in self._tensors():
            a = weights[name]
            t.copy_(torch.as_tensor(conv_to_torch(a) if a.ndim == 4 else dense_to_torch(a) if a.ndim == 2 else a))

    def describe(self):
        return {"compile": "eager"}
