"""REINFORCE policy network in PyTorch: nn.Module with a softmax head, one step of the spec's
optimizer (impls/torch/_optim.py, global-norm clipping included) per episode on -mean_t G_t log pi(a_t | s_t). Eager."""

import torch

from bench.core.interface import check_weights
from bench.rl.agent import PolicyLearner
from impls.torch._optim import optimizer
from impls.torch._rlnet import Net


class Learner(PolicyLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.dev = torch.device("cuda" if device == "gpu" else "cpu")
        self.net = Net(hp, head="pi").to(self.dev)
        self.opt = optimizer(self.net.parameters(), hp)

    def update(self, obs, actions, returns):
        obs = torch.as_tensor(obs, dtype=torch.float32, device=self.dev)
        actions = torch.as_tensor(actions, dtype=torch.int64, device=self.dev)
        returns = torch.as_tensor(returns, dtype=torch.float32, device=self.dev)
        logp = torch.log_softmax(self.net(obs), 1).gather(1, actions[:, None]).squeeze(1)
        loss = -(returns * logp).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return loss.detach()

    @torch.no_grad()
    def probs(self, obs):
        return torch.softmax(self.net(torch.as_tensor(obs, dtype=torch.float32, device=self.dev)), 1).cpu().numpy()

    def get_weights(self):
        return self.net.canonical()

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.net.load_canonical(weights)

    def describe(self):
        return {"compile": "eager"}
