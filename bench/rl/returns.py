"""Discounted returns and the reference (numpy) Q-learning targets and losses.

The backends compute targets inside their compiled update step; :func:`q_targets` and
:func:`td_loss` are the reference they are tested against (tests/test_parity_rl.py)."""

from __future__ import annotations

import numpy as np

TARGET_MODES = ("online", "target", "double")


def discounted_returns(rewards, gamma: float) -> np.ndarray:
    """G_t = r_t + gamma r_{t+1} + ... to the end of the episode."""
    out = np.zeros(len(rewards), dtype=np.float64)
    acc = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        acc = float(rewards[t]) + gamma * acc
        out[t] = acc
    return out


def normalise(x, eps: float = 1e-8) -> np.ndarray:
    """(x - mean) / std, as the REINFORCE document does (std 0 leaves the centred values)."""
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean()
    std = x.std()
    return x / std if std > eps else x


def q_targets(rewards, terminated, q_next_online, q_next_target, gamma: float, mode: str) -> np.ndarray:
    """y = r + gamma * (1 - terminated) * bootstrap, with bootstrap
    * ``online``: max_a Q(s', a; theta) (the Double Q document's plain DQN: no target network),
    * ``target``: max_a Q(s', a; theta-) (DQN with a target network),
    * ``double``: Q(s', argmax_a Q(s', a; theta); theta-) (Double DQN).
    Only termination stops bootstrapping; a time-limit truncation bootstraps."""
    if mode == "online":
        boot = q_next_online.max(1)
    elif mode == "target":
        boot = q_next_target.max(1)
    elif mode == "double":
        boot = q_next_target[np.arange(len(rewards)), q_next_online.argmax(1)]
    else:
        raise ValueError(f"unknown target mode {mode!r}; choose from {TARGET_MODES}")
    return rewards + gamma * (1.0 - terminated.astype(np.float64)) * boot


def td_loss(q, actions, targets, loss: str, huber_delta: float = 1.0, weights=None):
    """(loss, td_errors): td = y - Q(s, a); loss = mean_i w_i * l(td_i) with l = td^2 (``mse``)
    or the Huber function with ``huber_delta`` (``huber``)."""
    td = targets - q[np.arange(len(actions)), actions]
    if loss == "mse":
        per = td**2
    elif loss == "huber":
        a = np.abs(td)
        per = np.where(a <= huber_delta, 0.5 * td**2, huber_delta * (a - 0.5 * huber_delta))
    else:
        raise ValueError(f"unknown loss {loss!r}")
    w = np.ones_like(per) if weights is None else weights
    return float(np.mean(w * per)), td
