"""Linear regression by gradient descent in low-level TensorFlow: GradientTape + tf.function."""

import tensorflow as tf

from bench.core.interface import Learner as Base, check_weights


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.W = tf.Variable(tf.zeros([1]), name="W")
        self.b = tf.Variable(tf.zeros([1]), name="b")
        self.lr = tf.constant(hp["lr"], tf.float32)

    @tf.function(reduce_retracing=True)
    def _step(self, x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(self.W * x + self.b - y))
        grad_w, grad_b = tape.gradient(loss, [self.W, self.b])
        self.W.assign_sub(self.lr * grad_w)
        self.b.assign_sub(self.lr * grad_b)
        return loss

    def train_step(self, x, y):
        return self._step(tf.convert_to_tensor(x), tf.convert_to_tensor(y))

    def predict(self, x):
        return (self.W * tf.convert_to_tensor(x, tf.float32) + self.b).numpy()

    def get_weights(self):
        return {"W": self.W.numpy().copy(), "b": self.b.numpy().copy()}

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.W.assign(weights["W"])
        self.b.assign(weights["b"])

    def describe(self):
        return {"compile": "tf.function"}
