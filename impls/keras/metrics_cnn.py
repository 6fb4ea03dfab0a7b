"""The metrics CNN in Keras 3, as the document builds it: Sequential Conv2D / MaxPooling2D /
BatchNormalization (momentum and epsilon from the spec), compile + train_on_batch."""

import keras

from impls.keras import _cnn
from impls.keras._learner import ClassifierLearner


class Learner(ClassifierLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        L, k, p, f = keras.layers, hp["kernel_size"], hp["pool"], hp["filters"]
        layers = [keras.Input((hp["image_size"], hp["image_size"], 1))]
        for i in (1, 2):
            layers += [
                L.Conv2D(f, k, strides=1, padding="valid", activation="relu", name=f"conv{i}"),
                L.MaxPooling2D(p, strides=p, padding="valid", name=f"pool{i}"),
                _cnn.bn(hp, f"bn{i}"),
            ]
        layers += [L.Flatten(name="flatten"), L.Dense(hp["n_classes"], name="dense")]
        self._setup(keras.Sequential(layers))
