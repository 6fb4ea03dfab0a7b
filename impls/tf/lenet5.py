"""LeNet-5 in low-level TensorFlow: tf.nn.conv2d / max_pool2d, GradientTape, tf.function.
L2 (sum of squares x hp["l2"]) on the three dense kernels is added to the mean cross-entropy."""

import tensorflow as tf

from bench.interface import Learner as Base, check_weights

DENSE = ("fc1", "fc2", "fc3")


def shapes(hp):
    k, c1, c2 = hp["kernel_size"], hp["conv1_filters"], hp["conv2_filters"]
    side = ((hp["image_size"] - k + 1) // hp["pool"] - k + 1) // hp["pool"]
    return {"conv1/kernel": (k, k, 1, c1), "conv1/bias": (c1,),
            "conv2/kernel": (k, k, c1, c2), "conv2/bias": (c2,),
            "fc1/kernel": (side * side * c2, hp["fc1_units"]), "fc1/bias": (hp["fc1_units"],),
            "fc2/kernel": (hp["fc1_units"], hp["fc2_units"]), "fc2/bias": (hp["fc2_units"],),
            "fc3/kernel": (hp["fc2_units"], hp["n_classes"]), "fc3/bias": (hp["n_classes"],)}


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.w = {n: tf.Variable(tf.zeros(s), name=n.replace("/", "_")) for n, s in shapes(hp).items()}
        self.opt = tf.keras.optimizers.Adam(hp["lr"], beta_1=hp["adam_beta1"], beta_2=hp["adam_beta2"],
                                            epsilon=hp["adam_epsilon"])
        self._step = tf.function(self._step_fn, jit_compile=hp["xla"], reduce_retracing=True)
        self._logits = tf.function(self._forward, jit_compile=hp["xla"], reduce_retracing=True)

    def _forward(self, x):
        w, p = self.w, self.hp["pool"]
        for conv in ("conv1", "conv2"):
            x = tf.nn.relu(tf.nn.conv2d(x, w[f"{conv}/kernel"], 1, "VALID") + w[f"{conv}/bias"])
            x = tf.nn.max_pool2d(x, p, p, "VALID")
        x = tf.reshape(x, [tf.shape(x)[0], -1])
        x = tf.nn.relu(tf.matmul(x, w["fc1/kernel"]) + w["fc1/bias"])
        x = tf.nn.relu(tf.matmul(x, w["fc2/kernel"]) + w["fc2/bias"])
        return tf.matmul(x, w["fc3/kernel"]) + w["fc3/bias"]

    def _step_fn(self, x, y):
        variables = list(self.w.values())
        with tf.GradientTape() as tape:
            ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=self._forward(x))
            l2 = tf.add_n([tf.reduce_sum(tf.square(self.w[f"{d}/kernel"])) for d in DENSE])
            loss = tf.reduce_mean(ce) + self.hp["l2"] * l2
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
