"""MLP 784-300-10 in Keras 3: Sequential of Dense layers, compile + train_on_batch."""

import keras

from impls.keras._learner import ClassifierLearner


class Learner(ClassifierLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self._setup(
            keras.Sequential(
                [
                    keras.Input((hp["image_size"] ** 2,)),
                    keras.layers.Dense(hp["hidden"], activation="relu", name="dense1"),
                    keras.layers.Dense(hp["n_classes"], name="dense2"),
                ]
            ),
        )
