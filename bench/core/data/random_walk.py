"""The 1000-state random walk (Sutton & Barto 2018, Example 9.1) and what is known about it exactly.

States 1..n (n = 1000), every episode starts in ``start`` (500). Each step jumps uniformly to one
of the ``k`` (100) states on the left or the ``k`` on the right; a jump past state 1 or past state
n ends the episode there ("all the probability that would have gone into those missing neighbours
goes into terminating on that side"), with reward -1 on the left, +1 on the right, 0 otherwise.

Everything here is numpy, computed once and cached in memory (:func:`functools.lru_cache`; each
piece takes milliseconds):

* :func:`model`: the transition matrix among the non-terminal states and the expected reward;
* :func:`true_values`: v_pi, the solution of the Bellman equation v = r + gamma P v (the limit
  of iterative policy evaluation, :func:`policy_evaluation`, which the tests check it against);
* :func:`on_policy_distribution`: mu, the fraction of time spent in each state (the book's
  eta = h + eta P, normalised): the weighting of the value error VE;
* :func:`mc_optimum` / :func:`td_fixed_point`: the state-aggregation weights gradient Monte Carlo
  converges to (the mu-weighted mean of v_pi in each group, the minimiser of VE) and the ones
  semi-gradient TD(0) converges to (A w = b, A = X^T D (X - gamma P X), b = X^T D r);
* :func:`generate`: the training episodes of a seed, drawn once by the harness so that every
  backend sees the same trajectories in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class Walk:
    """The task's geometry (the spec's ``n_states``, ``step_range``, ``start_state``)."""

    n_states: int = 1000
    step_range: int = 100
    start: int = 500


@lru_cache(maxsize=8)
def model(walk: Walk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(P, p_left, p_right): P[i, j] the probability of moving from state i+1 to state j+1 (both
    non-terminal), p_left / p_right the probability of terminating on that side from state i+1."""
    n, k = walk.n_states, walk.step_range
    p = 1.0 / (2 * k)
    P = np.zeros((n, n))
    p_left, p_right = np.zeros(n), np.zeros(n)
    for i in range(n):
        lo, hi = max(0, i - k), min(n - 1, i + k)
        P[i, lo:i] = p
        P[i, i + 1 : hi + 1] = p
        p_left[i] = p * (k - (i - lo))
        p_right[i] = p * (k - (hi - i))
    for a in (P, p_left, p_right):
        a.setflags(write=False)
    return P, p_left, p_right


@lru_cache(maxsize=8)
def true_values(walk: Walk, gamma: float = 1.0) -> np.ndarray:
    """v_pi(1..n): the exact solution of v = r + gamma P v, r = p_right - p_left."""
    P, p_left, p_right = model(walk)
    v = np.linalg.solve(np.eye(walk.n_states) - gamma * P, p_right - p_left)
    v.setflags(write=False)
    return v


def policy_evaluation(walk: Walk, gamma: float = 1.0, theta: float = 1e-12, max_sweeps: int = 1000000):
    """Iterative policy evaluation (the book's two-array version: every sweep computes
    v <- r + gamma P v from the previous sweep's values), stopped when a sweep changes no value by
    more than ``theta`` -> (v, sweeps). For the tests: it converges to :func:`true_values`."""
    P, p_left, p_right = model(walk)
    r = p_right - p_left
    v = np.zeros(walk.n_states)
    for sweep in range(1, max_sweeps + 1):
        new = r + gamma * (P @ v)
        delta = float(np.abs(new - v).max())
        v = new
        if delta < theta:
            return v, sweep
    return v, max_sweeps


@lru_cache(maxsize=8)
def on_policy_distribution(walk: Walk) -> np.ndarray:
    """mu(1..n): expected visits per episode eta = h + eta P (h: all mass on the start state),
    normalised. ``expected_length`` is its unnormalised sum."""
    eta = _visits(walk)
    mu = eta / eta.sum()
    mu.setflags(write=False)
    return mu


@lru_cache(maxsize=8)
def _visits(walk: Walk) -> np.ndarray:
    P, _, _ = model(walk)
    h = np.zeros(walk.n_states)
    h[walk.start - 1] = 1.0
    return np.linalg.solve((np.eye(walk.n_states) - P).T, h)


def expected_length(walk: Walk) -> float:
    """Expected number of steps (= updates) per episode."""
    return float(_visits(walk).sum())


def groups(walk: Walk, n_groups: int) -> np.ndarray:
    """The state-aggregation group (0..n_groups-1) of each state 1..n."""
    return (np.arange(walk.n_states) // (walk.n_states // n_groups)).astype(np.int64)


def features(walk: Walk, n_groups: int) -> np.ndarray:
    """X: one-hot group features, one row per state (n, n_groups)."""
    return np.eye(n_groups)[groups(walk, n_groups)]


def value_error(v_hat: np.ndarray, walk: Walk, gamma: float = 1.0) -> float:
    """The book's VE as a root mean square: sqrt(sum_s mu(s) (v_pi(s) - v_hat(s))^2)."""
    err = np.asarray(v_hat, np.float64) - true_values(walk, gamma)
    return float(np.sqrt(on_policy_distribution(walk) @ err**2))


@lru_cache(maxsize=16)
def mc_optimum(walk: Walk, n_groups: int, gamma: float = 1.0) -> np.ndarray:
    """The state-aggregation weights minimising VE: each group's mu-weighted mean of v_pi (where
    gradient Monte Carlo converges, since E[G_t | S_t] = v_pi(S_t))."""
    mu, v, g = on_policy_distribution(walk), true_values(walk, gamma), groups(walk, n_groups)
    w = np.bincount(g, mu * v, n_groups) / np.bincount(g, mu, n_groups)
    w.setflags(write=False)
    return w


@lru_cache(maxsize=16)
def td_fixed_point(walk: Walk, n_groups: int, gamma: float = 1.0) -> np.ndarray:
    """The TD fixed point w_TD of semi-gradient TD(0) with state aggregation, A w = b, with
    A = X^T D (X - gamma P X) and b = X^T D r (D = diag(mu), r the expected reward of a step,
    terminal values 0): the weights at which the expected update is zero."""
    P, p_left, p_right = model(walk)
    X, mu = features(walk, n_groups), on_policy_distribution(walk)
    A = X.T @ (mu[:, None] * (X - gamma * P @ X))
    b = X.T @ (mu * (p_right - p_left))
    w = np.linalg.solve(A, b)
    w.setflags(write=False)
    return w


@dataclass
class Episodes:
    """``count`` episodes laid end to end: the states visited (``states``, 1..n, int32; the
    terminal state is not stored), episode i's states at ``states[offsets[i]:offsets[i + 1]]``,
    and its final reward ``rewards[i]`` (-1 left, +1 right)."""

    states: np.ndarray
    offsets: np.ndarray
    rewards: np.ndarray
    walk: Walk = field(default_factory=Walk)

    @property
    def count(self) -> int:
        return len(self.rewards)

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def episode(self, i: int) -> tuple[np.ndarray, float]:
        return self.states[self.offsets[i] : self.offsets[i + 1]], float(self.rewards[i])


def generate(walk: Walk, count: int, seed: int) -> Episodes:
    """``count`` episodes from the random stream (seed, 7): each step's jump is drawn uniformly
    from -k..-1, 1..k, in chunks, and the walk is cut at the first state outside 1..n."""
    rng = np.random.default_rng([seed, 7])
    n, k = walk.n_states, walk.step_range
    chunk = max(64, int(4 * expected_length(walk)))
    parts, lengths, rewards = [], np.zeros(count, np.int64), np.zeros(count, np.float32)
    for i in range(count):
        pos, path = walk.start, [np.array([walk.start])]
        while True:
            r = rng.integers(0, 2 * k, chunk)
            steps = pos + np.cumsum(np.where(r < k, r - k, r - k + 1))
            out = np.flatnonzero((steps < 1) | (steps > n))
            if out.size:
                j = out[0]
                path.append(steps[:j])
                rewards[i] = 1.0 if steps[j] > n else -1.0
                break
            path.append(steps)
            pos = int(steps[-1])
        states = np.concatenate(path)
        parts.append(states)
        lengths[i] = len(states)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return Episodes(np.concatenate(parts).astype(np.int32), offsets, rewards, walk)


def update_inputs(episodes: Episodes, method: str, gamma: float) -> dict[str, np.ndarray]:
    """One entry per update, episodes end to end (episode i at ``offsets[i]:offsets[i + 1]``):
    ``states`` S_t (int32), ``rewards`` and ``discounts`` (float32), ``next_states`` S_{t+1}.

    * gradient Monte Carlo: ``rewards`` = G_t = gamma^(T-1-t) R_T (the only reward is the last),
      ``discounts`` = 0;
    * semi-gradient TD(0): ``rewards`` = R_{t+1} (0 but the last step's), ``discounts`` = gamma,
      and 0 on the last step, whose ``next_states`` entry (the terminal state, v_hat = 0) repeats S_t.
    """
    states, offsets = episodes.states, episodes.offsets
    last = offsets[1:] - 1
    lengths = episodes.lengths()
    final = np.repeat(episodes.rewards.astype(np.float64), lengths)
    if method == "gradient_mc":
        to_go = np.repeat(offsets[1:], lengths) - 1 - np.arange(len(states))  # T-1-t
        rewards = final * gamma**to_go
        discounts = np.zeros(len(states))
        next_states = states
    elif method == "semi_gradient_td0":
        rewards = np.zeros(len(states))
        rewards[last] = episodes.rewards
        discounts = np.full(len(states), gamma)
        discounts[last] = 0.0
        next_states = np.empty_like(states)
        next_states[:-1] = states[1:]
        next_states[last] = states[last]
    else:
        raise ValueError(f"unknown method {method!r}")
    return {
        "states": states,
        "next_states": next_states,
        "rewards": rewards.astype(np.float32),
        "discounts": discounts.astype(np.float32),
    }
