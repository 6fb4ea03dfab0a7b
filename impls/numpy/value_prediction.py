"""Gradient Monte Carlo and semi-gradient TD(0) with state aggregation: the numpy reference, one
update at a time exactly as the book writes it: v_hat(s, w) = x(s) . w with x(s) the one-hot
feature of s's group, so grad v_hat(s, w) = x(s), and
w <- w + alpha [target - v_hat(S_t, w)] x(S_t), target G_t (MC) or R + gamma v_hat(S', w) (TD).

It computes in float32, the frameworks' dtype, with their order of operations, so that parity
compares the algorithm and not float32 rounding; ``dtype = np.float64`` gives the exact-arithmetic
trajectory (tests/test_value_prediction.py measures how far float32 drifts from it)."""

import numpy as np

from bench.core.interface import Learner as Base, check_weights


class Learner(Base):
    dtype = np.float32

    def __init__(self, hp, seed, device="cpu", dtype=None):
        super().__init__(hp, seed, device)
        self.dtype = dtype or self.dtype
        n, k = hp["n_states"], hp["n_groups"]
        self.X = np.eye(k, dtype=self.dtype)[np.arange(n) // (n // k)]  # x(s) of states 1..n, one row each
        self.w = np.zeros(k, self.dtype)
        self.lr, self.bootstrap = self.dtype(hp["lr"]), hp["method"] == "semi_gradient_td0"

    def train_step(self, x, y):
        X, X_next = self.X[x["states"] - 1], self.X[x["next_states"] - 1]
        rewards, discounts = np.asarray(y, self.dtype), np.asarray(x["discounts"], self.dtype)
        w, lr, total = self.w, self.lr, 0.0
        for t in range(len(X)):
            target = rewards[t] + discounts[t] * (X_next[t] @ w) if self.bootstrap else rewards[t]
            delta = target - X[t] @ w
            w += lr * delta * X[t]
            total += 0.5 * float(delta) ** 2
        return total / len(X)

    def predict(self, x):
        return self.X[np.asarray(x) - 1] @ self.w

    def get_weights(self):
        return {"value/kernel": self.w[:, None].astype(np.float32)}

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.w = np.asarray(weights["value/kernel"], self.dtype)[:, 0].copy()
