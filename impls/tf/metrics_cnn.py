"""The metrics CNN in low-level TensorFlow: tf.nn.conv2d / max_pool2d, BatchNorm written out
(batch moments in training, moving averages with hp["bn_momentum"], tf.nn.batch_normalization),
GradientTape, tf.function."""

import tensorflow as tf

from bench.interface import Learner as Base, check_weights

BN = ("gamma", "beta", "moving_mean", "moving_variance")


def shapes(hp):
    k, f, p = hp["kernel_size"], hp["filters"], hp["pool"]
    side = ((hp["image_size"] - k + 1) // p - k + 1) // p
    out = {}
    for i, c_in in ((1, 1), (2, f)):
        out[f"conv{i}/kernel"], out[f"conv{i}/bias"] = (k, k, c_in, f), (f,)
        out.update({f"bn{i}/{n}": (f,) for n in BN})
    out["dense/kernel"], out["dense/bias"] = (side * side * f, hp["n_classes"]), (hp["n_classes"],)
    return out


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.w = {n: tf.Variable(tf.zeros(s), name=n.replace("/", "_"), trainable="moving" not in n)
                  for n, s in shapes(hp).items()}
        self.trainable = [v for n, v in self.w.items() if "moving" not in n]
        self.opt = tf.keras.optimizers.Adam(hp["lr"], beta_1=hp["adam_beta1"], beta_2=hp["adam_beta2"],
                                            epsilon=hp["adam_epsilon"])
        self._step = tf.function(self._step_fn, jit_compile=hp["xla"], reduce_retracing=True)
        self._logits = tf.function(lambda x: self._forward(x, False), jit_compile=hp["xla"],
                                   reduce_retracing=True)

    def _bn(self, name, x, training):
        w, m = self.w, self.hp["bn_momentum"]
        if training:
            mean, var = tf.nn.moments(x, axes=[0, 1, 2])
            w[f"{name}/moving_mean"].assign(w[f"{name}/moving_mean"] * m + mean * (1.0 - m))
            w[f"{name}/moving_variance"].assign(w[f"{name}/moving_variance"] * m + var * (1.0 - m))
        else:
            mean, var = w[f"{name}/moving_mean"], w[f"{name}/moving_variance"]
        return tf.nn.batch_normalization(x, mean, var, w[f"{name}/beta"], w[f"{name}/gamma"],
                                         self.hp["bn_epsilon"])

    def _forward(self, x, training):
        w, p = self.w, self.hp["pool"]
        for i in (1, 2):
            x = tf.nn.relu(tf.nn.conv2d(x, w[f"conv{i}/kernel"], 1, "VALID") + w[f"conv{i}/bias"])
            x = self._bn(f"bn{i}", tf.nn.max_pool2d(x, p, p, "VALID"), training)
        x = tf.reshape(x, [tf.shape(x)[0], -1])
        return tf.matmul(x, w["dense/kernel"]) + w["dense/bias"]

    def _step_fn(self, x, y):
        with tf.GradientTape() as tape:
            logits = self._forward(x, True)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        self.opt.apply_gradients(zip(tape.gradient(loss, self.trainable), self.trainable, strict=True))
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
