"""LeNet-5 in low-level TensorFlow: tf.nn.conv2d / max_pool2d, GradientTape, tf.function.
L2 (sum of squares x hp["l2"]) on the three dense kernels is added to the mean cross-entropy."""

import tensorflow as tf

from impls.tf import _cnn
from impls.tf._learner import ClassifierLearner

DENSE = ("fc1", "fc2", "fc3")


def shapes(hp):
    k, c1, c2 = hp["kernel_size"], hp["conv1_filters"], hp["conv2_filters"]
    side = ((hp["image_size"] - k + 1) // hp["pool"] - k + 1) // hp["pool"]
    return {
        "conv1/kernel": (k, k, 1, c1),
        "conv1/bias": (c1,),
        "conv2/kernel": (k, k, c1, c2),
        "conv2/bias": (c2,),
        "fc1/kernel": (side * side * c2, hp["fc1_units"]),
        "fc1/bias": (hp["fc1_units"],),
        "fc2/kernel": (hp["fc1_units"], hp["fc2_units"]),
        "fc2/bias": (hp["fc2_units"],),
        "fc3/kernel": (hp["fc2_units"], hp["n_classes"]),
        "fc3/bias": (hp["n_classes"],),
    }


class Learner(ClassifierLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self._setup(shapes(hp))

    def _logits(self, x, training):
        v, p = self.v, self.hp["pool"]
        for conv in ("conv1", "conv2"):
            x = tf.nn.max_pool2d(tf.nn.relu(_cnn.conv(v, x, conv, "VALID")), p, p, "VALID")
        x = tf.reshape(x, [tf.shape(x)[0], -1])
        x = tf.nn.relu(_cnn.dense(v, x, "fc1"))
        x = tf.nn.relu(_cnn.dense(v, x, "fc2"))
        return _cnn.dense(v, x, "fc3")

    def _loss(self, x, y):
        l2 = tf.add_n([tf.reduce_sum(tf.square(self.v[f"{d}/kernel"])) for d in DENSE])
        return super()._loss(x, y) + self.hp["l2"] * l2
