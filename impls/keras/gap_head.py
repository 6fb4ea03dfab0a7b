"""Cats vs Dogs, shared 3-conv head + GAP or fully-connected tail, in Keras 3: functional Model,
compile (Adam, binary cross-entropy from the logit) + train_on_batch."""

import keras
from keras import layers

from bench.interface import Learner as Base
from impls.keras import _cnn


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        if hp["tail"] not in ("gap", "fc"):
            raise ValueError(f"tail must be 'gap' or 'fc', not {hp['tail']!r}")
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
            x = layers.Dropout(hp["dropout"], seed=seed)(layers.Dense(hp["dense_units"], activation="relu", name="fc1")(x))
            x = _cnn.bn(hp, "fc_bn2")(x)
            x = layers.Dense(hp["dense_units"], activation="relu", name="fc2")(x)
        outputs = layers.Dense(1, name="out")(x)
        self.model = keras.Model(inputs, outputs)
        self.model.compile(optimizer=_cnn.adam(hp), loss=keras.losses.BinaryCrossentropy(from_logits=True))

    def train_step(self, x, y):
        return self.model.train_on_batch(x, y[:, None])

    def predict(self, x):
        return keras.ops.convert_to_numpy(keras.ops.sigmoid(self.model(x, training=False)))[:, 0]

    def get_weights(self):
        return _cnn.get_weights(self.model)

    def set_weights(self, weights):
        _cnn.set_weights(self.model, weights)

    def describe(self):
        return {"compile": f"keras train_on_batch (tf.function, jit_compile={self.model.jit_compile})"}
