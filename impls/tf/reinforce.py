"""REINFORCE policy network in low-level TensorFlow: softmax policy over tf.Variables, one
step of the spec's optimizer (impls/tf/_optim.py) per episode on -mean_t G_t log pi(a_t | s_t),
in tf.function."""

import tensorflow as tf

from bench.core.interface import check_weights
from bench.rl.agent import PolicyLearner
from impls.tf._optim import optimizer
from impls.tf._rlnet import Net


class Learner(PolicyLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.net = Net(hp, head="pi")
        self.opt = optimizer(hp)
        obs = tf.TensorSpec([None, *hp["obs_shape"]], tf.float32)
        self._probs = tf.function(lambda x: tf.nn.softmax(self.net(x)), input_signature=[obs])
        self._update = tf.function(
            self._update_fn, input_signature=[obs, tf.TensorSpec([None], tf.int64), tf.TensorSpec([None], tf.float32)]
        )

    def _update_fn(self, obs, actions, returns):
        with tf.GradientTape() as tape:
            logp = tf.gather(tf.nn.log_softmax(self.net(obs)), actions, batch_dims=1)
            loss = -tf.reduce_mean(returns * logp)
        grads = tape.gradient(loss, self.net.variables)
        self.opt.apply_gradients(zip(grads, self.net.variables))
        return loss

    def probs(self, obs):
        return self._probs(tf.convert_to_tensor(obs, tf.float32)).numpy()

    def update(self, obs, actions, returns):
        return self._update(
            tf.convert_to_tensor(obs, tf.float32),
            tf.convert_to_tensor(actions, tf.int64),
            tf.convert_to_tensor(returns, tf.float32),
        )

    def get_weights(self):
        return {k: v.numpy().copy() for k, v in self.net.vars.items()}  # copies: .numpy() may share memory

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        for k, v in self.net.vars.items():
            v.assign(weights[k])

    def describe(self):
        return {"compile": "tf.function (GradientTape)"}
