"""Gradient Monte Carlo and semi-gradient TD(0) with state aggregation in low-level TensorFlow:
v_hat(s, w) = one_hot(group(s)) @ w over a tf.Variable, the gradient from GradientTape, plain
SGD by assign_sub. One tf.function per episode whose AutoGraph loop (a tf.while_loop) makes
the updates one after another; the TD target is computed before the tape, so no gradient
flows through it."""

import tensorflow as tf

from bench.core.interface import Learner as Base, check_weights


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.k, self.size = hp["n_groups"], hp["n_states"] // hp["n_groups"]
        self.w = tf.Variable(tf.zeros([self.k, 1]), name="value/kernel")
        self.lr = tf.constant(hp["lr"], tf.float32)
        self.bootstrap = hp["method"] == "semi_gradient_td0"
        ints, floats = tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.float32)
        self._episode = tf.function(self._episode_fn, input_signature=[ints, ints, floats, floats])
        self._values = tf.function(lambda s: self.v(self.features(s)), input_signature=[ints])

    def features(self, states):
        return tf.one_hot((states - 1) // self.size, self.k)

    def v(self, x):
        return tf.matmul(x, self.w)[:, 0]

    def _episode_fn(self, states, next_states, discounts, rewards):
        x, x_next = self.features(states), self.features(next_states)
        n = tf.shape(states)[0]
        total = tf.constant(0.0)
        for t in tf.range(n):
            target = rewards[t]
            if self.bootstrap:
                target += discounts[t] * tf.stop_gradient(self.v(x_next[t : t + 1])[0])
            with tf.GradientTape() as tape:
                delta = target - self.v(x[t : t + 1])[0]
                loss = 0.5 * tf.square(delta)
            self.w.assign_sub(self.lr * tape.gradient(loss, self.w))
            total += loss
        return total / tf.cast(n, tf.float32)

    def train_step(self, x, y):
        return self._episode(
            tf.convert_to_tensor(x["states"]),
            tf.convert_to_tensor(x["next_states"]),
            tf.convert_to_tensor(x["discounts"]),
            tf.convert_to_tensor(y),
        )

    def predict(self, x):
        return self._values(tf.convert_to_tensor(x, tf.int32)).numpy()

    def get_weights(self):
        return {"value/kernel": self.w.numpy()}

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.w.assign(weights["value/kernel"])

    def describe(self):
        return {"compile": "tf.function (GradientTape, AutoGraph while loop over the episode)"}
