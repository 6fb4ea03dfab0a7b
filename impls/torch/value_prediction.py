"""Gradient Monte Carlo and semi-gradient TD(0) with state aggregation in PyTorch: v_hat is an
nn.Linear(n_groups, 1, bias=False) on the one-hot group feature, the gradient from autograd
(loss.backward()), plain torch.optim.SGD. Eager, one update per step of a Python loop over the
episode's tensors (converted once per episode); the TD target is computed under no_grad.
``foreach=False``: SGD's multi-tensor path only adds overhead for a single 10-weight tensor."""

import torch

from bench.core.interface import Learner as Base, check_weights


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.dev = torch.device("cuda" if device == "gpu" else "cpu")
        self.k, self.size = hp["n_groups"], hp["n_states"] // hp["n_groups"]
        self.model = torch.nn.Linear(self.k, 1, bias=False).to(self.dev)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=hp["lr"], foreach=False)
        self.bootstrap = hp["method"] == "semi_gradient_td0"

    def features(self, states):
        s = torch.as_tensor(states, device=self.dev).long()
        return torch.nn.functional.one_hot((s - 1) // self.size, self.k).float()

    def train_step(self, x, y):
        feats, feats_next = self.features(x["states"]), self.features(x["next_states"])
        discounts = torch.as_tensor(x["discounts"], device=self.dev)
        rewards = torch.as_tensor(y, device=self.dev)
        total = torch.zeros((), device=self.dev)
        for t in range(len(feats)):
            target = rewards[t]
            if self.bootstrap:
                with torch.no_grad():
                    target = target + discounts[t] * self.model(feats_next[t])[0]
            loss = 0.5 * (target - self.model(feats[t])[0]) ** 2
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            total += loss.detach()
        return total / len(feats)

    @torch.no_grad()
    def predict(self, x):
        return self.model(self.features(x))[:, 0].cpu().numpy()

    def get_weights(self):
        return {"value/kernel": self.model.weight.detach().cpu().numpy().T.copy()}

    @torch.no_grad()
    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.model.weight.copy_(torch.as_tensor(weights["value/kernel"]).T)

    def describe(self):
        return {"compile": "eager (autograd, torch.optim.SGD)"}
