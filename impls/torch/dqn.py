"""DQN-family network side in PyTorch: online and target nn.Modules, Q-targets (online max /
target max / double) under no_grad, MSE or Huber TD loss with importance weights, the spec's
optimizer (impls/torch/_optim.py, global-norm clipping included), soft or hard target update.
The mode (eager, or the TD loss and the Q-values through torch.compile; the optimizer step eager)
and the precision (bf16: torch.autocast) as impls/torch/_learner.py runs them."""

import torch
import torch.nn.functional as F

from bench.core.interface import check_weights
from bench.rl.agent import QLearner
from impls.torch._learner import COMPILE_MODES, compiled
from impls.torch._optim import optimizer
from impls.torch._rlnet import Net


class Learner(QLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.dev = torch.device("cuda" if device == "gpu" else "cpu")
        self.online, self.target = Net(hp).to(self.dev), Net(hp).to(self.dev)
        self.target.requires_grad_(False)
        self.opt = optimizer(self.online.parameters(), hp)
        self.mode = self.mode or "eager"
        self._td_loss = compiled(self.mode, self._td_loss_fn)
        self._q, self._q_target = compiled(self.mode, self.online), compiled(self.mode, self.target)

    def _autocast(self):
        return torch.autocast(self.dev.type, dtype=torch.bfloat16, enabled=self.precision == "bf16")

    def _t(self, x, dtype=torch.float32):
        return torch.as_tensor(x, dtype=dtype, device=self.dev)

    def update(self, batch, weights=None):
        obs, next_obs = self._t(batch["obs"]), self._t(batch["next_obs"])
        actions = self._t(batch["actions"], torch.int64)
        rewards, term = self._t(batch["rewards"]), self._t(batch["terminated"])
        w = torch.ones_like(rewards) if weights is None else self._t(weights)
        with self._autocast():
            loss, td = self._td_loss(obs, actions, rewards, next_obs, term, w)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return loss.detach(), td.detach()

    def _td_loss_fn(self, obs, actions, rewards, next_obs, term, weights):
        hp, mode = self.hp, self.hp["target_mode"]
        with torch.no_grad():
            if mode == "online":
                boot = self.online(next_obs).max(1).values
            elif mode == "target":
                boot = self.target(next_obs).max(1).values
            else:
                best = self.online(next_obs).argmax(1, keepdim=True)
                boot = self.target(next_obs).gather(1, best).squeeze(1)
            y = rewards + hp["gamma"] * (1.0 - term) * boot.float()
        q_sa = self.online(obs).float().gather(1, actions[:, None]).squeeze(1)
        td = y - q_sa
        if hp["loss"] == "huber":
            per = F.huber_loss(q_sa, y, reduction="none", delta=hp["huber_delta"])
        else:
            per = td.square()
        return (weights * per).mean(), td

    @torch.no_grad()
    def sync_target(self, tau=1.0):
        t, o = list(self.target.parameters()), list(self.online.parameters())
        if tau >= 1.0:
            torch._foreach_copy_(t, o)
        else:
            torch._foreach_lerp_(t, o, tau)  # t + tau * (o - t)

    @torch.no_grad()
    def q_values(self, obs):
        with self._autocast():
            return self._q(self._t(obs)).float().cpu().numpy()

    @torch.no_grad()
    def target_q_values(self, obs):
        with self._autocast():
            return self._q_target(self._t(obs)).float().cpu().numpy()

    def get_weights(self):
        return self.online.canonical()  # copies

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.online.load_canonical(weights)
        self.target.load_canonical(weights)

    def describe(self):
        what = "eager" if self.mode == "eager" else f"torch.compile (inductor, mode {COMPILE_MODES[self.mode]})"
        return {"compile": what, "compute_dtype": "bfloat16" if self.precision == "bf16" else "float32"}
