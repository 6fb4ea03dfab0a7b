"""LeNet-5 in PyTorch: nn.Conv2d (padding 0 = VALID) / max_pool2d, NCHW inside, flattened in
NHWC order so the dense kernels share the canonical layout. L2 (sum of squares x hp["l2"]) on
the three dense weights is added to the mean cross-entropy (not weight_decay, which Adam would
apply differently)."""

import torch
import torch.nn.functional as F
from torch import nn

from bench.interface import Learner as Base, check_weights
from bench.layout import conv_from_torch, conv_to_torch, dense_from_torch, dense_to_torch

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


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.dev = torch.device("cuda" if device == "gpu" else "cpu")
        self.net = Net(hp).to(self.dev)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=hp["lr"], eps=hp["adam_epsilon"],
                                    betas=(hp["adam_beta1"], hp["adam_beta2"]))

    def train_step(self, x, y):
        x, y = torch.as_tensor(x, device=self.dev), torch.as_tensor(y, device=self.dev)
        self.opt.zero_grad(set_to_none=True)
        l2 = sum(getattr(self.net, d).weight.square().sum() for d in DENSE)
        loss = F.cross_entropy(self.net(x), y) + self.hp["l2"] * l2
        loss.backward()
        self.opt.step()
        return loss.detach()

    @torch.no_grad()
    def predict(self, x):
        return self.net(torch.as_tensor(x, dtype=torch.float32, device=self.dev)).cpu().numpy()

    def get_weights(self):
        out = {}
        for name, layer in self.net.named_children():
            w = layer.weight.detach().cpu().numpy()
            out[f"{name}/kernel"] = conv_from_torch(w) if w.ndim == 4 else dense_from_torch(w)
            out[f"{name}/bias"] = layer.bias.detach().cpu().numpy().copy()
        return out

    @torch.no_grad()
    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        for name, layer in self.net.named_children():
            k = weights[f"{name}/kernel"]
            layer.weight.copy_(torch.as_tensor(conv_to_torch(k) if k.ndim == 4 else dense_to_torch(k)))
            layer.bias.copy_(torch.as_tensor(weights[f"{name}/bias"]))

    def describe(self):
        return {"compile": "eager"}
