"""REINFORCE in Keras 3 as the document writes it: a softmax policy compiled with a
categorical cross-entropy (written out, see ``returns_weighted_nll``) and the spec's optimizer;
one compiled train step per episode with targets one_hot(a_t) * G_t, i.e.
loss = -mean_t G_t log pi(a_t | s_t). Not XLA-compiled (episode lengths vary); the model is
called directly for action probabilities."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from bench.interface import check_weights
from bench.rl.agent import PolicyLearner
from impls.keras._learner import train_on_batch
from impls.keras._optim import optimizer
from impls.keras._rlnet import build, get_canonical, set_canonical


def returns_weighted_nll(y, probs):
    """-sum_a y_a log pi_a with y = one_hot(a) * G: the document's categorical cross-entropy.
    Written out because Keras 3's built-in one fuses with the softmax into TensorFlow's
    softmax-cross-entropy kernel, whose gradient (pi - y) assumes targets summing to 1: with
    returns as targets it points the wrong way (tests/test_parity_rl.py catches it). Probabilities
    are clipped at keras.config.epsilon(), as Keras's categorical cross-entropy does."""
    return -ops.sum(y * ops.log(ops.clip(probs, keras.config.epsilon(), 1.0)), axis=-1)


class Learner(PolicyLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.model, self.names = build(hp, head="pi", name="policy")
        self.model.compile(optimizer=optimizer(hp), loss=returns_weighted_nll, jit_compile=False)
        obs = tf.TensorSpec([None, *hp["obs_shape"]], tf.float32)
        self._probs = tf.function(lambda x: self.model(x, training=False), input_signature=[obs])
        self.n_actions = int(hp["n_actions"])

    def update(self, obs, actions, returns):
        targets = (
            np.eye(self.n_actions, dtype=np.float32)[np.asarray(actions)] * np.asarray(returns, np.float32)[:, None]
        )
        return train_on_batch(self.model, np.asarray(obs, np.float32), targets)

    def probs(self, obs):
        return self._probs(tf.convert_to_tensor(obs, tf.float32)).numpy()

    def get_weights(self):
        return get_canonical(self.model, self.names)

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        set_canonical(self.model, self.names, weights)

    def describe(self):
        return {"compile": "compile + train_on_batch (tf.function, no XLA)", "keras_backend": keras.backend.backend()}
