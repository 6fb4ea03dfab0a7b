"""REINFORCE in Keras 3 as the document writes it: a softmax policy compiled with a
categorical cross-entropy (written out, see ``returns_weighted_nll``) and the spec's optimizer;
one compiled train step per episode (``train_on_batch``) with targets one_hot(a_t) * G_t, i.e.
loss = -mean_t G_t log pi(a_t | s_t), on every Keras engine. Not XLA-compiled on TensorFlow
(episode lengths vary); action probabilities from the compiled predict function."""

import keras
import numpy as np
from keras import ops

from bench.core.interface import check_weights
from bench.rl.agent import PolicyLearner
from impls.keras._learner import compile_label, jit_compile, train_on_batch
from impls.keras._optim import optimizer
from impls.keras._rlnet import build, get_canonical, set_canonical


def returns_weighted_nll(y, probs):
    """-sum_a y_a log pi_a with y = one_hot(a) * G: the document's categorical cross-entropy.
    Written out because Keras 3's built-in one fuses with the softmax into TensorFlow's
    softmax-cross-entropy kernel, whose gradient (pi - y) assumes targets summing to 1: with
    returns as targets it points the wrong way (tests/test_parity_rl.py catches it). Probabilities
    are clipped at keras.config.epsilon(), as Keras's categorical cross-entropy does."""
    return -ops.sum(y * ops.log(ops.clip(probs, keras.config.epsilon(), 1.0)), axis=-1)


def pad_episode(obs, targets):
    """An episode of n steps padded with zeros to P = the next power of two, and sample weights
    P / n on its steps, 0 on the padding: Keras's mean over the P rows is then the mean over the n
    steps, and an episode length costs one of log2(max length) compilations, not one of its own."""
    n = len(obs)
    size = 1 << max(n - 1, 0).bit_length()
    weights = np.zeros(size, np.float32)
    weights[:n] = size / n
    pad = [(0, size - n)] + [(0, 0)] * (obs.ndim - 1)
    return np.pad(obs, pad), np.pad(targets, [(0, size - n), (0, 0)]), weights


class Learner(PolicyLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.model, self.names = build(hp, head="pi", name="policy")
        self.jit = jit_compile(self.mode)
        self.model.compile(optimizer=optimizer(hp), loss=returns_weighted_nll, jit_compile=self.jit)
        self.n_actions = int(hp["n_actions"])

    def update(self, obs, actions, returns):
        targets = (
            np.eye(self.n_actions, dtype=np.float32)[np.asarray(actions)] * np.asarray(returns, np.float32)[:, None]
        )
        obs, weights = np.asarray(obs, np.float32), None
        if keras.backend.backend() == "jax":  # jax.jit compiles once per shape: pad to a power of two
            obs, targets, weights = pad_episode(obs, targets)
        return train_on_batch(self.model, obs, targets, weights)["loss"]

    def probs(self, obs):
        return self.model.predict_on_batch(np.asarray(obs, np.float32))

    def get_weights(self):
        return get_canonical(self.model, self.names)

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        set_canonical(self.model, self.names, weights)

    def describe(self):
        return {
            "compile": f"compile + train_on_batch ({compile_label(self.jit)})",
            "keras_backend": keras.backend.backend(),
        }
