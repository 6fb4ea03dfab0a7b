"""Maximum-likelihood regression: the numpy reference, float64, analytic gradients and the
spec's optimizer: the Keras form of Adam (epsilon added to sqrt(v) before bias correction of the
step size), or plain SGD."""

import numpy as np

from bench.core.interface import Learner as Base, check_weights


def softplus(z):
    return np.logaddexp(0.0, z)


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        units = 2 if hp["heteroscedastic"] else 1
        self.w = {"dense/kernel": np.zeros((1, units)), "dense/bias": np.zeros(units)}
        self.m = {k: np.zeros_like(v) for k, v in self.w.items()}
        self.v = {k: np.zeros_like(v) for k, v in self.w.items()}
        self.t = 0

    def _forward(self, x):
        z = np.asarray(x, np.float64) @ self.w["dense/kernel"] + self.w["dense/bias"]
        if self.hp["heteroscedastic"]:
            return z, z[:, 0], self.hp["min_scale"] + softplus(self.hp["scale_factor"] * z[:, 1])
        return z, z[:, 0], np.full(len(z), self.hp["scale"])

    def train_step(self, x, y):
        z, mu, s = self._forward(x)
        r = (np.asarray(y, np.float64) - mu) / s
        loss = np.mean(np.log(s) + 0.5 * np.log(2 * np.pi) + 0.5 * r**2)
        dz = np.zeros_like(z)
        dz[:, 0] = -r / s / len(z)
        if self.hp["heteroscedastic"]:
            ds = (1.0 / s - r**2 / s) / len(z)
            dz[:, 1] = ds * self.hp["scale_factor"] / (1.0 + np.exp(-self.hp["scale_factor"] * z[:, 1]))
        grads = {"dense/kernel": np.asarray(x, np.float64).T @ dz, "dense/bias": dz.sum(0)}
        if self.hp["optimizer"] == "sgd":
            for k, g in grads.items():
                self.w[k] -= self.hp["lr"] * g
        else:
            self._adam(grads)
        return loss

    def _adam(self, grads):
        b1, b2, eps = self.hp["adam_beta1"], self.hp["adam_beta2"], self.hp["adam_epsilon"]
        self.t += 1
        alpha = self.hp["lr"] * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        for k, g in grads.items():
            self.m[k] += (g - self.m[k]) * (1 - b1)
            self.v[k] += (g * g - self.v[k]) * (1 - b2)
            self.w[k] -= alpha * self.m[k] / (np.sqrt(self.v[k]) + eps)

    def predict(self, x):
        _, mu, s = self._forward(x)
        return np.stack([mu, s], 1)

    def get_weights(self):
        return {k: v.astype(np.float32) for k, v in self.w.items()}

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.w = {k: np.asarray(weights[k], np.float64).copy() for k in self.w}
