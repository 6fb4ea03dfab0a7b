"""Maximum-likelihood regression in Keras as the document writes it: Dense ->
tfp.layers.DistributionLambda, compiled with the negative log-likelihood as the loss.
tfp.layers needs Keras 2, so this uses tf_keras."""

import tensorflow as tf
import tensorflow_probability as tfp
import tf_keras

from bench.interface import Learner as Base, check_weights

tfd = tfp.distributions


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        if hp["heteroscedastic"]:
            units, scale = 2, lambda t: hp["min_scale"] + tf.math.softplus(hp["scale_factor"] * t[:, 1])
        else:
            units, scale = 1, lambda t: hp["scale"]
        self.model = tf_keras.Sequential([
            tf_keras.layers.Dense(units, name="dense", input_shape=(1,)),
            tfp.layers.DistributionLambda(lambda t: tfd.Normal(loc=t[:, 0], scale=scale(t))),
        ])
        self.model.compile(
            optimizer=tf_keras.optimizers.Adam(hp["lr"], beta_1=hp["adam_beta1"], beta_2=hp["adam_beta2"],
                                               epsilon=hp["adam_epsilon"]),
            loss=lambda y, dist: -dist.log_prob(y),
        )

    def train_step(self, x, y):
        return self.model.train_on_batch(x, y)

    def predict(self, x):
        d = self.model(x, training=False)
        return tf.stack([d.mean(), d.stddev()], 1).numpy()

    def get_weights(self):
        kernel, bias = self.model.get_layer("dense").get_weights()
        return {"dense/kernel": kernel, "dense/bias": bias}

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.model.get_layer("dense").set_weights([weights["dense/kernel"], weights["dense/bias"]])

    def describe(self):
        return {"compile": "tf_keras train_on_batch (tf.function)", "keras_flavour": "tf_keras"}
