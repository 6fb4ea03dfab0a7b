"""Cats vs Dogs, shared 3-conv head + GAP or fully-connected tail, in low-level TensorFlow:
tf.Variables in the canonical layout, tf.nn ops, GradientTape + tf.function, Adam."""

import tensorflow as tf

from bench.core.arch.gap_head import feature_size
from impls.tf import _cnn
from impls.tf._learner import ClassifierLearner


def layer_shapes(hp):
    """Canonical name -> shape, in the order of the network."""
    k, s, shapes, c = hp["kernel_size"], feature_size(hp), {}, 3
    for i, f in enumerate((hp["filters1"], hp["filters2"], hp["filters3"]), 1):
        shapes.update({f"conv{i}/kernel": (k, k, c, f), f"conv{i}/bias": (f,), **_cnn.bn_shapes(f"bn{i}", f)})
        c = f
    if hp["tail"] == "gap":
        n_in = c if hp["avg_pool"] == 0 else c * (s // hp["avg_pool"]) ** 2
        shapes.update({"out/kernel": (n_in, 1), "out/bias": (1,)})
    else:
        u, flat = hp["dense_units"], s * s * c
        shapes.update(
            {
                **_cnn.bn_shapes("fc_bn1", flat),
                "fc1/kernel": (flat, u),
                "fc1/bias": (u,),
                **_cnn.bn_shapes("fc_bn2", u),
                "fc2/kernel": (u, u),
                "fc2/bias": (u,),
                "out/kernel": (u, 1),
                "out/bias": (1,),
            }
        )
    return shapes


class Learner(ClassifierLearner):
    binary = True

    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self._setup(layer_shapes(hp))
        self.rng = tf.random.Generator.from_seed(seed)

    def _logits(self, x, training):
        p = self.hp["pool_size"]
        for i in (1, 2, 3):
            x = self._bn(_cnn.conv(self.v, x, f"conv{i}", "VALID"), f"bn{i}", training)
            x = tf.nn.max_pool2d(tf.nn.relu(x), p, p, "VALID")
        if self.hp["tail"] == "gap":
            a = self.hp["avg_pool"]
            x = (
                tf.reduce_mean(x, [1, 2])
                if a == 0
                else tf.reshape(tf.nn.avg_pool2d(x, a, a, "VALID"), [tf.shape(x)[0], -1])
            )
            return _cnn.dense(self.v, x, "out")[:, 0]
        x = self._bn(tf.reshape(x, [tf.shape(x)[0], -1]), "fc_bn1", training)
        x = tf.nn.relu(_cnn.dense(self.v, x, "fc1"))
        if training and self.hp["dropout"] > 0:
            x = tf.nn.experimental.stateless_dropout(x, self.hp["dropout"], self.rng.make_seeds(1)[:, 0])
        x = tf.nn.relu(_cnn.dense(self.v, self._bn(x, "fc_bn2", training), "fc2"))
        return _cnn.dense(self.v, x, "out")[:, 0]
