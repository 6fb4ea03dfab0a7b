"""Maximum-likelihood regression in low-level TensorFlow + TensorFlow Probability:
a dense layer's outputs parameterise a tfd.Normal; GradientTape on the mean NLL; the spec's
optimizer (impls/tf/_optim.py)."""

import tensorflow as tf
import tensorflow_probability as tfp

from bench.core.interface import Learner as Base, check_weights
from impls.tf._optim import optimizer

tfd = tfp.distributions


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        units = 2 if hp["heteroscedastic"] else 1
        self.kernel = tf.Variable(tf.zeros([1, units]), name="kernel")
        self.bias = tf.Variable(tf.zeros([units]), name="bias")
        self.opt = optimizer(hp)

    def _dist(self, x):
        z = tf.matmul(x, self.kernel) + self.bias
        if self.hp["heteroscedastic"]:
            scale = self.hp["min_scale"] + tf.math.softplus(self.hp["scale_factor"] * z[:, 1])
            return tfd.Normal(loc=z[:, 0], scale=scale)
        return tfd.Normal(loc=z[:, 0], scale=self.hp["scale"])

    @tf.function(reduce_retracing=True)
    def _step(self, x, y):
        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(self._dist(x).log_prob(y))
        variables = [self.kernel, self.bias]
        self.opt.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    def train_step(self, x, y):
        return self._step(tf.convert_to_tensor(x), tf.convert_to_tensor(y))

    def predict(self, x):
        d = self._dist(tf.convert_to_tensor(x, tf.float32))
        return tf.stack([d.mean(), d.stddev()], 1).numpy()

    def get_weights(self):
        return {"dense/kernel": self.kernel.numpy().copy(), "dense/bias": self.bias.numpy().copy()}

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.kernel.assign(weights["dense/kernel"])
        self.bias.assign(weights["dense/bias"])

    def describe(self):
        return {"compile": "tf.function"}
