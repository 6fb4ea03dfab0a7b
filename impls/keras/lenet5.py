"""LeNet-5 in Keras 3: Sequential Conv2D / MaxPooling2D / Dense, compile + train_on_batch.
L2 on the three dense kernels via keras.regularizers.L2(l2), which adds l2 * sum(w**2) to the
mean cross-entropy, as the other backends do by hand."""

import keras

from bench.interface import Learner as Base, check_weights


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        L, k, p = keras.layers, hp["kernel_size"], hp["pool"]
        reg = lambda: keras.regularizers.L2(hp["l2"])  # noqa: E731
        self.model = keras.Sequential([
            keras.Input((hp["image_size"], hp["image_size"], 1)),
            L.Conv2D(hp["conv1_filters"], k, strides=1, padding="valid", activation="relu", name="conv1"),
            L.MaxPooling2D(p, strides=p, padding="valid", name="pool1"),
            L.Conv2D(hp["conv2_filters"], k, strides=1, padding="valid", activation="relu", name="conv2"),
            L.MaxPooling2D(p, strides=p, padding="valid", name="pool2"),
            L.Flatten(name="flatten"),
            L.Dense(hp["fc1_units"], activation="relu", kernel_regularizer=reg(), name="fc1"),
            L.Dense(hp["fc2_units"], activation="relu", kernel_regularizer=reg(), name="fc2"),
            L.Dense(hp["n_classes"], kernel_regularizer=reg(), name="fc3"),
        ])
        self.model.compile(
            optimizer=keras.optimizers.Adam(hp["lr"], beta_1=hp["adam_beta1"], beta_2=hp["adam_beta2"],
                                            epsilon=hp["adam_epsilon"]),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum_over_batch_size"),
            jit_compile=hp["xla"],
        )

    def train_step(self, x, y):
        return self.model.train_on_batch(x, y)

    def predict(self, x):
        return keras.ops.convert_to_numpy(self.model(x, training=False))

    def get_weights(self):
        return {f"{layer.name}/{v.name}": v.numpy().copy() for layer in self.model.layers for v in layer.weights}

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        for layer in self.model.layers:
            if layer.weights:
                layer.set_weights([weights[f"{layer.name}/{v.name}"] for v in layer.weights])

    def describe(self):
        return {"compile": "keras train_on_batch (tf.function" + (", XLA)" if self.hp["xla"] else ")")}
