"""The metrics CNN in low-level TensorFlow: tf.nn.conv2d / max_pool2d, BatchNorm written out
(batch moments in training, moving averages with hp["bn_momentum"], tf.nn.batch_normalization),
GradientTape, tf.function."""

import tensorflow as tf

from impls.tf import _cnn
from impls.tf._learner import ClassifierLearner


def shapes(hp):
    k, f, p = hp["kernel_size"], hp["filters"], hp["pool"]
    side = ((hp["image_size"] - k + 1) // p - k + 1) // p
    out = {}
    for i, c_in in ((1, 1), (2, f)):
        out.update({f"conv{i}/kernel": (k, k, c_in, f), f"conv{i}/bias": (f,), **_cnn.bn_shapes(f"bn{i}", f)})
    out["dense/kernel"], out["dense/bias"] = (side * side * f, hp["n_classes"]), (hp["n_classes"],)
    return out


class Learner(ClassifierLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self._setup(shapes(hp))

    def _logits(self, x, training):
        v, p = self.v, self.hp["pool"]
        for i in (1, 2):
            x = tf.nn.relu(_cnn.conv(v, x, f"conv{i}", "VALID"))
            x = self._bn(tf.nn.max_pool2d(x, p, p, "VALID"), f"bn{i}", training)
        x = tf.reshape(x, [tf.shape(x)[0], -1])
        return _cnn.dense(v, x, "dense")
