"""MLP 784-300-10 in PyTorch: nn.Linear layers, F.cross_entropy (mean), torch.optim.Adam."""

import torch
import torch.nn.functional as F
from torch import nn

from bench.interface import Learner as Base, check_weights
from bench.layout import dense_from_torch, dense_to_torch


class Net(nn.Module):
    def __init__(self, n_in, hidden, n_classes):
        super().__init__()
        self.dense1 = nn.Linear(n_in, hidden)
        self.dense2 = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return self.dense2(F.relu(self.dense1(x)))


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.dev = torch.device("cuda" if device == "gpu" else "cpu")
        self.net = Net(hp["image_size"] ** 2, hp["hidden"], hp["n_classes"]).to(self.dev)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=hp["lr"], eps=hp["adam_epsilon"],
                                    betas=(hp["adam_beta1"], hp["adam_beta2"]))

    def train_step(self, x, y):
        x, y = torch.as_tensor(x, device=self.dev), torch.as_tensor(y, device=self.dev)
        self.opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(self.net(x), y)
        loss.backward()
        self.opt.step()
        return loss.detach()

    @torch.no_grad()
    def predict(self, x):
        return self.net(torch.as_tensor(x, dtype=torch.float32, device=self.dev)).cpu().numpy()

    def get_weights(self):
        out = {}
        for name in ("dense1", "dense2"):
            layer = getattr(self.net, name)
            out[f"{name}/kernel"] = dense_from_torch(layer.weight.detach().cpu().numpy())
            out[f"{name}/bias"] = layer.bias.detach().cpu().numpy().copy()
        return out

    @torch.no_grad()
    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        for name in ("dense1", "dense2"):
            layer = getattr(self.net, name)
            layer.weight.copy_(torch.as_tensor(dense_to_torch(weights[f"{name}/kernel"])))
            layer.bias.copy_(torch.as_tensor(weights[f"{name}/bias"]))

    def describe(self):
        return {"compile": "eager"}
