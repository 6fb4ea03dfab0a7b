"""Gradient Monte Carlo and semi-gradient TD(0) with state aggregation in Keras 3, on every Keras
engine: v_hat is a Sequential Dense(1, use_bias=False) on the one-hot group feature; one episode is
one ``train_on_batch`` of a two-input Model per step, in order, so the Keras SGD optimizer makes
the updates one after another, each from the weights the previous one left (``fit`` over the
episode with batch size 1 does the same, but costs 0.8 s per call on the TensorFlow engine,
docs/keras_engines.md).
The Model gives [v_hat(S_t), v_hat(S_t+1)] and its loss 0.5 (target - v_hat(S_t))^2 with the
target R + discount * v_hat(S_t+1) behind stop_gradient (gradient MC: discount 0, the target is
G_t), the labels being [R, discount]. Values from the compiled predict function."""

import keras
import numpy as np
from keras import ops

from bench.core.interface import Learner as Base, check_weights
from impls.keras._learner import compile_label, jit_compile, train_on_batch


def semi_gradient_loss(labels, v):
    """0.5 (R + discount * sg(v_hat(S')) - v_hat(S))^2 per step, labels [R, discount], v [v(S), v(S')]."""
    target = labels[:, 0] + labels[:, 1] * ops.stop_gradient(v[:, 1])
    return 0.5 * ops.square(target - v[:, 0])


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.k, self.size = hp["n_groups"], hp["n_states"] // hp["n_groups"]
        self.model = keras.Sequential([keras.Input((self.k,)), keras.layers.Dense(1, use_bias=False, name="value")])
        x, x_next = keras.Input((self.k,), name="x"), keras.Input((self.k,), name="x_next")
        self.pair = keras.Model([x, x_next], keras.layers.Concatenate()([self.model(x), self.model(x_next)]))
        self.jit = jit_compile(self.mode)
        self.pair.compile(optimizer=keras.optimizers.SGD(hp["lr"]), loss=semi_gradient_loss, jit_compile=self.jit)
        self.bootstrap = hp["method"] == "semi_gradient_td0"

    def features(self, states):
        return np.eye(self.k, dtype=np.float32)[(np.asarray(states) - 1) // self.size]

    def train_step(self, x, y):
        discounts = np.asarray(x["discounts"], np.float32) if self.bootstrap else np.zeros(len(y), np.float32)
        labels = np.stack([np.asarray(y, np.float32), discounts], axis=1)
        x, x_next = self.features(x["states"]), self.features(x["next_states"])
        total = 0.0
        for t in range(len(labels)):
            total += train_on_batch(self.pair, [x[t : t + 1], x_next[t : t + 1]], labels[t : t + 1])["loss"]
        return total / len(labels)

    def predict(self, x):
        return self.model.predict_on_batch(self.features(x))[:, 0]

    def get_weights(self):
        return {"value/kernel": self.model.get_layer("value").get_weights()[0]}

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.model.get_layer("value").set_weights([weights["value/kernel"]])

    def describe(self):
        return {
            "compile": f"train_on_batch per step, Keras SGD ({compile_label(self.jit)})",
            "keras_backend": keras.backend.backend(),
        }
