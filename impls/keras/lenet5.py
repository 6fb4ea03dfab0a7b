"""LeNet-5 in Keras 3: Sequential Conv2D / MaxPooling2D / Dense, compile + train_on_batch.
L2 on the three dense kernels via keras.regularizers.L2(l2), which adds l2 * sum(w**2) to the
mean cross-entropy, as the other backends do by hand."""

import keras

from impls.keras._learner import ClassifierLearner


class Learner(ClassifierLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        L, k, p = keras.layers, hp["kernel_size"], hp["pool"]
        reg = lambda: keras.regularizers.L2(hp["l2"])  # noqa: E731
        self._setup(
            keras.Sequential(
                [
                    keras.Input((hp["image_size"], hp["image_size"], 1)),
                    L.Conv2D(hp["conv1_filters"], k, strides=1, padding="valid", activation="relu", name="conv1"),
                    L.MaxPooling2D(p, strides=p, padding="valid", name="pool1"),
                    L.Conv2D(hp["conv2_filters"], k, strides=1, padding="valid", activation="relu", name="conv2"),
                    L.MaxPooling2D(p, strides=p, padding="valid", name="pool2"),
                    L.Flatten(name="flatten"),
                    L.Dense(hp["fc1_units"], activation="relu", kernel_regularizer=reg(), name="fc1"),
                    L.Dense(hp["fc2_units"], activation="relu", kernel_regularizer=reg(), name="fc2"),
                    L.Dense(hp["n_classes"], kernel_regularizer=reg(), name="fc3"),
                ]
            ),
        )
