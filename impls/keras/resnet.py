"""ResNet / plain net on CIFAR-10 24x24 in Keras 3, as the document builds it: functional Model,
compile (Adam, sparse categorical cross-entropy from logits) + train_on_batch."""

import keras
from keras import layers

from impls.keras import _cnn
from impls.keras._learner import ClassifierLearner


def block(x, hp, i):
    k, f = hp["kernel_size"], hp["block_filters"]
    h = layers.Conv2D(f, k, padding="same", activation="relu", name=f"block{i}_conv1")(x)
    h = _cnn.bn(hp, f"block{i}_bn1")(h)
    if hp["residual"]:  # res_net_block
        h = _cnn.bn(hp, f"block{i}_bn2")(layers.Conv2D(f, k, padding="same", name=f"block{i}_conv2")(h))
        return layers.Activation("relu")(layers.Add()([h, x]))
    h = layers.Conv2D(f, k, padding="same", activation="relu", name=f"block{i}_conv2")(h)  # non_res_block
    return _cnn.bn(hp, f"block{i}_bn2")(h)


class Learner(ClassifierLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        k = hp["kernel_size"]
        size = round(32 * hp["crop"])
        inputs = keras.Input((size, size, 3))
        x = layers.Conv2D(hp["conv1_filters"], k, activation="relu", name="conv1")(inputs)
        x = layers.Conv2D(hp["conv2_filters"], k, activation="relu", name="conv2")(x)
        x = layers.MaxPooling2D(hp["pool_size"])(x)
        for i in range(1, hp["blocks"] + 1):
            x = block(x, hp, i)
        x = layers.Conv2D(hp["block_filters"], k, activation="relu", name="conv3")(x)
        x = layers.GlobalAveragePooling2D()(x)
        x = layers.Dropout(hp["dropout"], seed=seed)(
            layers.Dense(hp["dense_units"], activation="relu", name="dense")(x)
        )
        outputs = layers.Dense(hp["n_classes"], name="out")(x)
        self._setup(keras.Model(inputs, outputs))
