"""MLP 784-300-10 in low-level TensorFlow: variables, matmuls, GradientTape, tf.function."""

import tensorflow as tf

from bench.interface import Learner as Base, check_weights


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        n_in, h, k = hp["image_size"] ** 2, hp["hidden"], hp["n_classes"]
        shapes = {"dense1/kernel": (n_in, h), "dense1/bias": (h,),
                  "dense2/kernel": (h, k), "dense2/bias": (k,)}
        self.w = {n: tf.Variable(tf.zeros(s), name=n.replace("/", "_")) for n, s in shapes.items()}
        self.opt = tf.keras.optimizers.Adam(hp["lr"], beta_1=hp["adam_beta1"], beta_2=hp["adam_beta2"],
                                            epsilon=hp["adam_epsilon"])
        self._step = tf.function(self._step_fn, jit_compile=hp["xla"], reduce_retracing=True)
        self._logits = tf.function(self._forward, jit_compile=hp["xla"], reduce_retracing=True)

    def _forward(self, x):
        w = self.w
        h = tf.nn.relu(tf.matmul(x, w["dense1/kernel"]) + w["dense1/bias"])
        return tf.matmul(h, w["dense2/kernel"]) + w["dense2/bias"]

    def _step_fn(self, x, y):
        variables = list(self.w.values())
        with tf.GradientTape() as tape:
            logits = self._forward(x)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        self.opt.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    def train_step(self, x, y):
        return self._step(tf.convert_to_tensor(x), tf.convert_to_tensor(y))

    def predict(self, x):
        return self._logits(tf.convert_to_tensor(x, tf.float32)).numpy()

    def get_weights(self):
        return {n: v.numpy().copy() for n, v in self.w.items()}  # copies: .numpy() may share memory

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        for n, v in self.w.items():
            v.assign(weights[n])

    def describe(self):
        return {"compile": "tf.function" + (" (XLA)" if self.hp["xla"] else "")}
