"""The network side of an RL agent, as every backend implements it.

A Q-learner (DQN family) owns an online and a target Q-network; the harness owns everything
else (environment loop, exploration, replay, evaluation). A policy learner (REINFORCE) owns a
softmax policy network. Both are :class:`bench.core.interface.Learner` subclasses, so their weights
use the canonical layout and the harness's canonical initialisation. The class is the agent's
kind: the driver and the evaluation choose the Q-learning or the policy-gradient path by
``isinstance``, so an implementation subclasses exactly one of them.

Canonical weight names: ``conv1``, ``conv2`` (Atari trunk), ``dense1``, ``dense2``, ... (dense
trunk), then the head: dueling ``adv_dense`` (optional), ``adv_out``, ``v_dense`` (optional),
``v_out``; plain ``q_dense`` (optional), ``q_out``; policy ``pi_out``. Each with ``/kernel`` and
``/bias``. Target-network weights are not part of the canonical dict: ``set_weights`` sets the
online network and copies it into the target network.

Hyperparameters every impl reads: ``obs_shape``, ``n_actions``, ``conv`` (list of
[filters, kernel, stride]), ``hidden`` (dense trunk units), ``head_units`` (0 = none),
``dueling``, ``dueling_agg`` ("mean" or "max"), ``lr``, ``adam_epsilon``, ``adam_beta1``,
``adam_beta2``, ``grad_clip_norm`` (0 = none), and for Q-learners ``gamma``, ``loss`` ("mse" or
"huber"), ``huber_delta``, ``target_mode`` ("online", "target", "double"; see
:func:`bench.rl.returns.q_targets`).
"""

from __future__ import annotations

import abc

import numpy as np

from bench.core.interface import Learner


def layer_shapes(hp, out_name: str | None = None) -> list[tuple[str, tuple, tuple]]:
    """[(name, kernel_shape, bias_shape)] of the network ``hp`` describes, in canonical layout;
    shared by the impls so all three build the same layers in the same order."""
    layers = []
    shape = tuple(hp["obs_shape"])
    if hp.get("conv"):
        h, w, c = shape
        for i, (filters, k, s) in enumerate(hp["conv"], 1):
            layers.append((f"conv{i}", (k, k, c, filters), (filters,)))
            h, w, c = (h - k) // s + 1, (w - k) // s + 1, filters
        width = h * w * c
    else:
        width = int(np.prod(shape))
    for i, units in enumerate(hp.get("hidden", ()), 1):
        layers.append((f"dense{i}", (width, units), (units,)))
        width = units
    n, head = int(hp["n_actions"]), int(hp.get("head_units") or 0)
    if out_name == "pi":
        layers.append(("pi_out", (width, n), (n,)))
    elif hp.get("dueling"):
        for stream, units in (("adv", n), ("v", 1)):
            w_in = width
            if head:
                layers.append((f"{stream}_dense", (width, head), (head,)))
                w_in = head
            layers.append((f"{stream}_out", (w_in, units), (units,)))
    else:
        w_in = width
        if head:
            layers.append(("q_dense", (width, head), (head,)))
            w_in = head
        layers.append(("q_out", (w_in, n), (n,)))
    return layers


class QLearner(Learner):
    """Online + target Q-network and the update step."""

    @abc.abstractmethod
    def q_values(self, obs: np.ndarray) -> np.ndarray:
        """Q(s, .) of the online network for a batch of observations -> (batch, n_actions)."""

    @abc.abstractmethod
    def target_q_values(self, obs: np.ndarray) -> np.ndarray:
        """Q(s, .; theta-) of the target network (for tests and diagnostics)."""

    @abc.abstractmethod
    def update(self, batch: dict, weights=None):
        """One gradient step on a replay batch (``obs``, ``actions``, ``rewards``, ``next_obs``,
        ``terminated``) with optional importance weights -> (loss, td_errors), framework values;
        td = y - Q(s, a) with y from :func:`bench.rl.returns.q_targets` under ``target_mode``."""

    @abc.abstractmethod
    def sync_target(self, tau: float = 1.0) -> None:
        """theta- <- tau * theta + (1 - tau) * theta- (tau = 1: hard copy)."""

    def train_step(self, x, y=None):
        """The harness's train-step hook: ``x`` a replay batch, ``y`` the importance weights (or
        None). Returns the loss; the TD errors of the step are kept in ``last_td``."""
        loss, self.last_td = self.update(x, y)
        return loss

    def predict(self, x):
        return self.q_values(x)


class PolicyLearner(Learner):
    """A softmax policy network and the REINFORCE update."""

    @abc.abstractmethod
    def probs(self, obs: np.ndarray) -> np.ndarray:
        """pi(. | s) for a batch -> (batch, n_actions)."""

    @abc.abstractmethod
    def update(self, obs: np.ndarray, actions: np.ndarray, returns: np.ndarray):
        """One gradient step on one episode: loss = -mean_t G_t log pi(a_t | s_t) -> loss."""

    def act(self, obs: np.ndarray, rng: np.random.Generator) -> int:
        """An action sampled from pi(. | obs) for one observation, with the harness's RNG."""
        p = self.probs(obs[None])[0].astype(np.float64)
        return int(rng.choice(len(p), p=p / p.sum()))

    def train_step(self, x, y):
        """``x`` = {"obs", "actions"} of an episode, ``y`` its normalised discounted returns."""
        return self.update(x["obs"], x["actions"], y)

    def predict(self, x):
        return self.probs(x)
