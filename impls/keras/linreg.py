"""Linear regression by gradient descent in Keras 3, on every Keras engine: Dense(1), SGD, MSE, the compiled train
function (impls/keras/_learner.py train_on_batch)."""

import keras

from bench.core.interface import Learner as Base, check_weights
from impls.keras._learner import compile_label, jit_compile, train_on_batch
from impls.keras._optim import optimizer


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.jit = jit_compile(self.mode)
        self.model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, name="dense")])
        self.model.compile(optimizer=optimizer(hp), loss="mse", jit_compile=self.jit)

    def train_step(self, x, y):
        return train_on_batch(self.model, x[:, None], y[:, None])["loss"]

    def predict(self, x):
        return keras.ops.convert_to_numpy(self.model(x[:, None], training=False))[:, 0]

    def get_weights(self):
        kernel, bias = self.model.get_layer("dense").get_weights()
        return {"W": kernel.reshape(1), "b": bias}

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.model.get_layer("dense").set_weights([weights["W"].reshape(1, 1), weights["b"]])

    def describe(self):
        return {"compile": f"keras compiled train function ({compile_label(self.jit)})"}
