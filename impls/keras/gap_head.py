"""Cats vs Dogs, shared 3-conv head + GAP or fully-connected tail, in Keras 3: functional Model,
compile (Adam, binary cross-entropy from the logit) + train_on_batch."""

import keras
from keras import layers

from impls.keras import _cnn
from impls.keras._learner import ClassifierLearner


class Learner(ClassifierLearner):
    binary = True

    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        k, p = hp["kernel_size"], hp["pool_size"]
        inputs = keras.Input((hp["image_size"], hp["image_size"], 3))
        x = inputs
        for i, f in enumerate((hp["filters1"], hp["filters2"], hp["filters3"]), 1):
            x = layers.Conv2D(f, k, padding="valid", name=f"conv{i}")(x)
            x = layers.Activation("relu")(_cnn.bn(hp, f"bn{i}")(x))
            x = layers.MaxPooling2D(p)(x)
        if hp["tail"] == "gap":
            a = hp["avg_pool"]
            x = layers.GlobalAveragePooling2D()(x) if a == 0 else layers.Flatten()(layers.AveragePooling2D(a)(x))
        else:
            x = _cnn.bn(hp, "fc_bn1")(layers.Flatten()(x))
            x = layers.Dropout(hp["dropout"], seed=seed)(
                layers.Dense(hp["dense_units"], activation="relu", name="fc1")(x)
            )
            x = _cnn.bn(hp, "fc_bn2")(x)
            x = layers.Dense(hp["dense_units"], activation="relu", name="fc2")(x)
        outputs = layers.Dense(1, name="out")(x)
        self._setup(keras.Model(inputs, outputs))
