"""Gradient Monte Carlo and semi-gradient TD(0) with state aggregation in Keras 3: v_hat is a
Sequential Dense(1, use_bias=False) on the one-hot group feature (keras.ops.one_hot), updated by
the Keras SGD optimizer (apply_gradients) in a custom compiled step, as the Keras DQN learner
does: one tf.function per episode whose AutoGraph loop makes the updates one after another,
the gradient from GradientTape (the TensorFlow backend's), the TD target behind stop_gradient.
The model is called directly, never through predict()."""

import keras
import tensorflow as tf
from keras import ops

from bench.interface import Learner as Base, check_weights


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.k, self.size = hp["n_groups"], hp["n_states"] // hp["n_groups"]
        self.model = keras.Sequential([keras.Input((self.k,)), keras.layers.Dense(1, use_bias=False, name="value")])
        self.opt = keras.optimizers.SGD(hp["lr"])
        self.opt.build(self.model.trainable_variables)
        self.bootstrap = hp["method"] == "semi_gradient_td0"
        ints, floats = tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.float32)
        self._episode = tf.function(self._episode_fn, input_signature=[ints, ints, floats, floats])
        self._values = tf.function(lambda s: self.model(self.features(s))[:, 0], input_signature=[ints])

    def features(self, states):
        return ops.one_hot((states - 1) // self.size, self.k)

    def _episode_fn(self, states, next_states, discounts, rewards):
        x, x_next = self.features(states), self.features(next_states)
        variables = self.model.trainable_variables
        n = ops.shape(states)[0]
        total = ops.convert_to_tensor(0.0)
        for t in tf.range(n):
            target = rewards[t]
            if self.bootstrap:
                target += discounts[t] * ops.stop_gradient(self.model(x_next[t : t + 1])[0, 0])
            with tf.GradientTape() as tape:
                loss = 0.5 * ops.square(target - self.model(x[t : t + 1], training=True)[0, 0])
            self.opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
            total += loss
        return total / ops.cast(n, "float32")

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
        return {"value/kernel": self.model.get_layer("value").get_weights()[0]}

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.model.get_layer("value").set_weights([weights["value/kernel"]])

    def describe(self):
        return {
            "compile": "custom step (tf.function, keras.ops, Keras SGD; AutoGraph loop over the episode)",
            "keras_backend": keras.backend.backend(),
        }
