"""Preallocated numpy replay memories: uniform, and proportional prioritized with a sum-tree.

Transitions are (obs, action, reward, next_obs, terminated). ``terminated`` is the only flag
stored: a time-limit truncation is not a terminal state, so its transition bootstraps.
Observations keep their dtype (uint8 frames for Atari are stored as bytes, not floats).
"""

from __future__ import annotations

import numpy as np

from bench.core.errors import BenchError


class ReplayBuffer:
    def __init__(self, capacity: int, obs_shape, obs_dtype=np.float32):
        if capacity < 1:
            raise BenchError(f"replay capacity must be at least 1, got {capacity}")
        self.capacity = int(capacity)
        self.obs = np.zeros((self.capacity, *obs_shape), dtype=obs_dtype)
        self.next_obs = np.zeros((self.capacity, *obs_shape), dtype=obs_dtype)
        self.actions = np.zeros(self.capacity, dtype=np.int64)
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.terminated = np.zeros(self.capacity, dtype=np.float32)
        self.pos = 0
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(self, obs, action, reward, next_obs, terminated) -> int:
        i = self.pos
        self.obs[i] = obs
        self.next_obs[i] = next_obs
        self.actions[i] = action
        self.rewards[i] = reward
        self.terminated[i] = float(terminated)
        self.pos = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)
        return i

    def gather(self, idx) -> dict:
        return {
            "obs": self.obs[idx],
            "actions": self.actions[idx],
            "rewards": self.rewards[idx],
            "next_obs": self.next_obs[idx],
            "terminated": self.terminated[idx],
            "idx": idx,
        }

    def sample(self, batch_size: int, rng: np.random.Generator, beta: float | None = None) -> dict:
        """Uniform, with replacement; ``weights`` is None (all transitions weigh the same)."""
        if self.size == 0:
            raise BenchError("cannot sample from an empty replay memory")
        batch = self.gather(rng.integers(0, self.size, batch_size))
        batch["weights"] = None
        return batch


class SumTree:
    """A binary tree over ``capacity`` leaves whose internal nodes hold the sums of their
    children: O(log n) updates and prefix-sum searches, vectorised over a batch."""

    def __init__(self, capacity: int):
        self.capacity = int(capacity)
        self.leaves = 1
        while self.leaves < self.capacity:
            self.leaves *= 2
        self.tree = np.zeros(2 * self.leaves, dtype=np.float64)

    @property
    def total(self) -> float:
        return float(self.tree[1])

    def get(self, idx) -> np.ndarray:
        return self.tree[np.asarray(idx) + self.leaves]

    def update(self, idx, values) -> None:
        node = np.asarray(idx, dtype=np.int64) + self.leaves
        self.tree[node] = values
        node = np.unique(node // 2)
        while node[0] >= 1:
            self.tree[node] = self.tree[2 * node] + self.tree[2 * node + 1]
            if node[0] == 1:
                break
            node = np.unique(node // 2)

    def find(self, mass) -> np.ndarray:
        """Leaf indices i with prefix(i) <= mass < prefix(i) + p_i, for each mass in [0, total)."""
        mass = np.array(mass, dtype=np.float64, copy=True)
        node = np.ones(mass.shape, dtype=np.int64)
        while node[0] < self.leaves:
            left = 2 * node
            go_right = mass >= self.tree[left]
            mass = np.where(go_right, mass - self.tree[left], mass)
            node = np.where(go_right, left + 1, left)
        return np.minimum(node - self.leaves, self.capacity - 1)


class PrioritizedReplay(ReplayBuffer):
    """Proportional prioritization (seed 002, Algorithm 1): P(i) = p_i^alpha / sum_k p_k^alpha,
    new transitions at the maximal priority so far, priorities p = |delta| + eps after an update,
    importance weights w_i = (N P(i))^-beta normalised by their maximum."""

    def __init__(self, capacity: int, obs_shape, obs_dtype=np.float32, alpha: float = 0.6, eps: float = 1e-6):
        super().__init__(capacity, obs_shape, obs_dtype)
        self.alpha, self.eps = float(alpha), float(eps)
        self.tree = SumTree(self.capacity)
        self.max_priority = 1.0

    def add(self, obs, action, reward, next_obs, terminated) -> int:
        i = super().add(obs, action, reward, next_obs, terminated)
        self.tree.update([i], self.max_priority**self.alpha)
        return i

    def probabilities(self, idx) -> np.ndarray:
        return self.tree.get(idx) / self.tree.total

    def sample(self, batch_size: int, rng: np.random.Generator, beta: float | None = 0.4) -> dict:
        """Stratified: one draw in each of ``batch_size`` equal slices of the total priority."""
        if self.size == 0:
            raise BenchError("cannot sample from an empty replay memory")
        total = self.tree.total
        mass = (np.arange(batch_size) + rng.random(batch_size)) * (total / batch_size)
        idx = self.tree.find(np.minimum(mass, np.nextafter(total, 0)))
        idx = np.minimum(idx, self.size - 1)
        batch = self.gather(idx)
        p = self.probabilities(idx)
        w = (self.size * p) ** (-(beta if beta is not None else 0.0))
        batch["weights"] = (w / w.max()).astype(np.float32)
        batch["probs"] = p
        return batch

    def update_priorities(self, idx, td_errors) -> None:
        p = np.abs(np.asarray(td_errors, dtype=np.float64)) + self.eps
        if not np.all(np.isfinite(p)):
            return  # a diverged update; the driver records it
        self.tree.update(idx, p**self.alpha)
        self.max_priority = max(self.max_priority, float(p.max()))
