"""Maximum-likelihood regression in Keras 3: Dense(1 or 2) -> the parameters of a Normal, compiled
with the Normal's negative log-likelihood as the loss. The document builds the Normal with
tfp.layers.DistributionLambda, which needs Keras 2 (tf_keras); here the log-density is written
with keras.ops, so the model runs on Keras 3 and on any of its engines (the TensorFlow
implementation keeps TensorFlow Probability)."""

import math

import keras
from keras import ops

from bench.core.interface import Learner as Base, check_weights
from impls.keras._learner import compile_label, jit_compile, train_on_batch
from impls.keras._optim import optimizer

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        units = 2 if hp["heteroscedastic"] else 1
        self.jit = jit_compile(self.mode)
        self.model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(units, name="dense")])
        self.model.compile(optimizer=optimizer(hp), loss=self.nll, jit_compile=self.jit)

    def normal(self, z):
        """(loc, scale) of the Normal that the dense outputs ``z`` parameterise."""
        if self.hp["heteroscedastic"]:
            return z[:, 0], self.hp["min_scale"] + ops.softplus(self.hp["scale_factor"] * z[:, 1])
        return z[:, 0], ops.full_like(z[:, 0], self.hp["scale"])

    def nll(self, y, z):
        """-log N(y | loc, scale) per example; Keras's loss reduction takes the mean."""
        loc, scale = self.normal(z)
        return 0.5 * ops.square((y[:, 0] - loc) / scale) + ops.log(scale) + HALF_LOG_2PI

    def train_step(self, x, y):
        return train_on_batch(self.model, x, y[:, None])["loss"]

    def predict(self, x):
        loc, scale = self.normal(self.model(x, training=False))
        return keras.ops.convert_to_numpy(ops.stack([loc, scale], 1))

    def get_weights(self):
        kernel, bias = self.model.get_layer("dense").get_weights()
        return {"dense/kernel": kernel.copy(), "dense/bias": bias.copy()}

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.model.get_layer("dense").set_weights([weights["dense/kernel"], weights["dense/bias"]])

    def describe(self):
        return {
            "compile": f"keras compiled train function ({compile_label(self.jit)})",
            "keras_backend": keras.backend.backend(),
        }
