"""ResNet50 (Keras's keras.applications.ResNet50 without its top) + global average pooling + a
Dense head, in low-level TensorFlow: tf.Variables in the canonical layout (Keras's layer names,
bench.core.arch.resnet50), tf.nn ops, GradientTape + tf.function, Adam. With ``freeze_backbone`` the
backbone is a constant feature extractor (BatchNorm on moving statistics, no gradient) and only
the head trains."""

import tensorflow as tf

from bench.core.arch.resnet50 import blocks, canonical_shapes
from impls.tf import _cnn
from impls.tf._learner import ClassifierLearner


class Learner(ClassifierLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.binary = hp["n_classes"] == 1
        self.frozen = bool(hp["freeze_backbone"])
        self._setup(canonical_shapes(hp["n_classes"]))
        if self.frozen:  # the optimizer sees the head only
            self.trainable = [self.v["head/kernel"], self.v["head/bias"]]

    def _conv_bn(self, x, name, training, stride=1, padding="VALID"):
        return self._bn(_cnn.conv(self.v, x, f"{name}_conv", padding, stride), f"{name}_bn", training)

    def _features(self, x, training):
        """The backbone's output, globally average-pooled: (N, 2048)."""
        x = _cnn.conv(self.v, tf.pad(x, [[0, 0], [3, 3], [3, 3], [0, 0]]), "conv1_conv", "VALID", 2)
        x = tf.nn.relu(self._bn(x, "conv1_bn", training))
        x = tf.nn.max_pool2d(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), 3, 2, "VALID")
        for name, _, stride, shortcut in blocks():
            h = tf.nn.relu(self._conv_bn(x, f"{name}_1", training, stride))
            h = tf.nn.relu(self._conv_bn(h, f"{name}_2", training, padding="SAME"))
            h = self._conv_bn(h, f"{name}_3", training)
            x = tf.nn.relu((self._conv_bn(x, f"{name}_0", training, stride) if shortcut else x) + h)
        return tf.reduce_mean(x, [1, 2])

    def _logits(self, x, training):
        if self.frozen:  # Keras's base.trainable = False: inference-mode BatchNorm, no gradient
            features = tf.stop_gradient(self._features(x, False))
        else:
            features = self._features(x, training)
        logits = _cnn.dense(self.v, features, "head")
        return logits[:, 0] if self.binary else logits
