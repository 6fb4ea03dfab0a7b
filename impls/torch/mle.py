"""Maximum-likelihood regression in PyTorch: nn.Linear -> torch.distributions.Normal; the spec's
optimizer (impls/torch/_optim.py)."""

import torch
import torch.nn.functional as F
from torch.distributions import Normal

from bench.core.interface import Learner as Base, check_weights
from bench.core.layout import dense_from_torch, dense_to_torch
from impls.torch._optim import optimizer


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.dev = torch.device("cuda" if device == "gpu" else "cpu")
        self.dense = torch.nn.Linear(1, 2 if hp["heteroscedastic"] else 1).to(self.dev)
        self.opt = optimizer(self.dense.parameters(), hp)

    def _dist(self, x):
        z = self.dense(x)
        if self.hp["heteroscedastic"]:
            return Normal(z[:, 0], self.hp["min_scale"] + F.softplus(self.hp["scale_factor"] * z[:, 1]))
        return Normal(z[:, 0], self.hp["scale"])

    def train_step(self, x, y):
        x, y = torch.as_tensor(x, device=self.dev), torch.as_tensor(y, device=self.dev)
        self.opt.zero_grad(set_to_none=True)
        loss = -self._dist(x).log_prob(y).mean()
        loss.backward()
        self.opt.step()
        return loss.detach()

    @torch.no_grad()
    def predict(self, x):
        d = self._dist(torch.as_tensor(x, dtype=torch.float32, device=self.dev))
        return torch.stack([d.mean, d.stddev], 1).cpu().numpy()

    def get_weights(self):
        return {
            "dense/kernel": dense_from_torch(self.dense.weight.detach().cpu().numpy()).copy(),
            "dense/bias": self.dense.bias.detach().cpu().numpy().copy(),
        }

    @torch.no_grad()
    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.dense.weight.copy_(torch.as_tensor(dense_to_torch(weights["dense/kernel"])))
        self.dense.bias.copy_(torch.as_tensor(weights["dense/bias"]))

    def describe(self):
        return {"compile": "eager"}
