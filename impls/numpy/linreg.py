"""Linear regression by gradient descent: the numpy reference (seed 002), in float64."""

import numpy as np

from bench.core.interface import Learner as Base, check_weights


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.W, self.b = np.zeros(1), np.zeros(1)

    def train_step(self, x, y):
        err = self.W * x + self.b - y
        loss = np.mean(err**2)
        self.W = self.W - self.hp["lr"] * 2.0 * np.mean(err * x)
        self.b = self.b - self.hp["lr"] * 2.0 * np.mean(err)
        return loss

    def predict(self, x):
        return self.W * np.asarray(x, np.float64) + self.b

    def get_weights(self):
        return {"W": self.W.astype(np.float32), "b": self.b.astype(np.float32)}

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.W, self.b = (np.asarray(weights[k], np.float64).copy() for k in ("W", "b"))
