"""MLP 784-300-10 in low-level TensorFlow: variables, matmuls, GradientTape, tf.function."""

import tensorflow as tf

from impls.tf import _cnn
from impls.tf._learner import ClassifierLearner


class Learner(ClassifierLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        n_in, h, k = hp["image_size"] ** 2, hp["hidden"], hp["n_classes"]
        self._setup({"dense1/kernel": (n_in, h), "dense1/bias": (h,), "dense2/kernel": (h, k), "dense2/bias": (k,)})

    def _logits(self, x, training):
        return _cnn.dense(self.v, tf.nn.relu(_cnn.dense(self.v, x, "dense1")), "dense2")
