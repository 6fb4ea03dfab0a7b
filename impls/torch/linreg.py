"""Linear regression by gradient descent in PyTorch: autograd + SGD (impls/torch/_optim.py)."""

import torch

from bench.core.interface import Learner as Base, check_weights
from impls.torch._optim import optimizer


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.dev = torch.device("cuda" if device == "gpu" else "cpu")
        self.W = torch.zeros(1, device=self.dev, requires_grad=True)
        self.b = torch.zeros(1, device=self.dev, requires_grad=True)
        self.opt = optimizer([self.W, self.b], hp)  # no optimizer setting: plain gradient descent

    def train_step(self, x, y):
        x, y = torch.as_tensor(x, device=self.dev), torch.as_tensor(y, device=self.dev)
        self.opt.zero_grad(set_to_none=True)
        loss = torch.mean((self.W * x + self.b - y) ** 2)
        loss.backward()
        self.opt.step()
        return loss.detach()

    @torch.no_grad()
    def predict(self, x):
        x = torch.as_tensor(x, dtype=torch.float32, device=self.dev)
        return (self.W * x + self.b).cpu().numpy()

    def get_weights(self):
        return {"W": self.W.detach().cpu().numpy().copy(), "b": self.b.detach().cpu().numpy().copy()}

    @torch.no_grad()
    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.W.copy_(torch.as_tensor(weights["W"]))
        self.b.copy_(torch.as_tensor(weights["b"]))

    def describe(self):
        return {"compile": "eager"}
