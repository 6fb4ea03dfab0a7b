"""MLP 784-300-10 in Keras 3: Sequential of Dense layers, compile + train_on_batch."""

import keras

from bench.interface import Learner as Base, check_weights


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.model = keras.Sequential([
            keras.Input((hp["image_size"] ** 2,)),
            keras.layers.Dense(hp["hidden"], activation="relu", name="dense1"),
            keras.layers.Dense(hp["n_classes"], name="dense2"),
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
            layer.set_weights([weights[f"{layer.name}/{v.name}"] for v in layer.weights])

    def describe(self):
        return {"compile": "keras train_on_batch (tf.function" + (", XLA)" if self.hp["xla"] else ")")}
