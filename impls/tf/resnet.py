"""ResNet / plain net on CIFAR-10 24x24 in low-level TensorFlow: tf.Variables in the canonical
layout, tf.nn ops, GradientTape + tf.function, Adam, sparse cross-entropy from logits."""

import tensorflow as tf

from impls.tf import _cnn
from impls.tf._learner import ClassifierLearner


def layer_shapes(hp):
    k, f, c1, c2 = hp["kernel_size"], hp["block_filters"], hp["conv1_filters"], hp["conv2_filters"]
    shapes = {"conv1/kernel": (k, k, 3, c1), "conv1/bias": (c1,), "conv2/kernel": (k, k, c1, c2), "conv2/bias": (c2,)}
    c = c2
    for i in range(1, hp["blocks"] + 1):
        shapes.update(
            {
                f"block{i}_conv1/kernel": (k, k, c, f),
                f"block{i}_conv1/bias": (f,),
                **_cnn.bn_shapes(f"block{i}_bn1", f),
                f"block{i}_conv2/kernel": (k, k, f, f),
                f"block{i}_conv2/bias": (f,),
                **_cnn.bn_shapes(f"block{i}_bn2", f),
            }
        )
        c = f
    u = hp["dense_units"]
    shapes.update(
        {
            "conv3/kernel": (k, k, c, f),
            "conv3/bias": (f,),
            "dense/kernel": (f, u),
            "dense/bias": (u,),
            "out/kernel": (u, hp["n_classes"]),
            "out/bias": (hp["n_classes"],),
        }
    )
    return shapes


class Learner(ClassifierLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self._setup(layer_shapes(hp))
        self.rng = tf.random.Generator.from_seed(seed)

    def _logits(self, x, training):
        v, p = self.v, self.hp["pool_size"]
        x = tf.nn.relu(_cnn.conv(v, x, "conv1", "VALID"))
        x = tf.nn.relu(_cnn.conv(v, x, "conv2", "VALID"))
        x = tf.nn.max_pool2d(x, p, p, "VALID")
        for i in range(1, self.hp["blocks"] + 1):
            h = self._bn(tf.nn.relu(_cnn.conv(v, x, f"block{i}_conv1", "SAME")), f"block{i}_bn1", training)
            h = _cnn.conv(v, h, f"block{i}_conv2", "SAME")
            if self.hp["residual"]:
                x = tf.nn.relu(self._bn(h, f"block{i}_bn2", training) + x)
            else:
                x = self._bn(tf.nn.relu(h), f"block{i}_bn2", training)
        x = tf.reduce_mean(tf.nn.relu(_cnn.conv(v, x, "conv3", "VALID")), [1, 2])
        x = tf.nn.relu(_cnn.dense(v, x, "dense"))
        if training and self.hp["dropout"] > 0:
            x = tf.nn.experimental.stateless_dropout(x, self.hp["dropout"], self.rng.make_seeds(1)[:, 0])
        return _cnn.dense(v, x, "out")
