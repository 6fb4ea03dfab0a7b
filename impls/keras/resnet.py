"""ResNet / plain net on CIFAR-10 24x24 in Keras 3, as the document builds it: functional Model,
compile (Adam, sparse categorical cross-entropy from logits) + train_on_batch."""

import keras
from keras import layers

from bench.interface import Learner as Base
from impls.keras import _cnn


def block(x, hp, i):
    k, f = hp["kernel_size"], hp["block_filters"]
    h = layers.Conv2D(f, k, padding="same", activation="relu", name=f"block{i}_conv1")(x)
    h = _cnn.bn(hp, f"block{i}_bn1")(h)
    if hp["residual"]:  # res_net_block
        h = _cnn.bn(hp, f"block{i}_bn2")(layers.Conv2D(f, k, padding="same", name=f"block{i}_conv2")(h))
        return layers.Activation("relu")(layers.Add()([h, x]))
    h = layers.Conv2D(f, k, padding="same", activation="relu", name=f"block{i}_conv2")(h)  # non_res_block
    return _cnn.bn(hp, f"block{i}_bn2")(h)


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        if hp["residual"] and hp["blocks"] and hp["conv2_filters"] != hp["block_filters"]:
            raise ValueError("a residual block adds its input: conv2_filters must equal block_filters")
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
        x = layers.Dropout(hp["dropout"], seed=seed)(layers.Dense(hp["dense_units"], activation="relu", name="dense")(x))
        outputs = layers.Dense(hp["n_classes"], name="out")(x)
        self.model = keras.Model(inputs, outputs)
        self.model.compile(optimizer=_cnn.adam(hp),
                           loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))

    def train_step(self, x, y):
        return self.model.train_on_batch(x, y)

    def predict(self, x):
        """Class logits (N, n_classes)."""
        return keras.ops.convert_to_numpy(self.model(x, training=False))

    def get_weights(self):
        return _cnn.get_weights(self.model)

    def set_weights(self, weights):
        _cnn.set_weights(self.model, weights)

    def describe(self):
        return {"compile": f"keras train_on_batch (tf.function, jit_compile={self.model.jit_compile})"}
