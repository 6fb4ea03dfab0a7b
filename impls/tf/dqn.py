"""DQN-family network side in low-level TensorFlow: online and target Q-networks as
tf.Variables, Q-targets (online max / target max / double), MSE or Huber TD loss with
importance weights, the spec's optimizer (impls/tf/_optim.py), and the target update, all in
tf.function."""

import tensorflow as tf

from bench.interface import check_weights
from bench.rl.agent import QLearner
from impls.tf._optim import optimizer
from impls.tf._rlnet import Net


class Learner(QLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.online, self.target = Net(hp), Net(hp, trainable=False)
        self.opt = optimizer(hp)
        obs = tf.TensorSpec([None, *hp["obs_shape"]], tf.float32)
        vec = tf.TensorSpec([None], tf.float32)
        self._q = tf.function(self.online.__call__, input_signature=[obs])
        self._q_target = tf.function(self.target.__call__, input_signature=[obs])
        self._update = tf.function(
            self._update_fn, input_signature=[obs, tf.TensorSpec([None], tf.int64), vec, obs, vec, vec]
        )
        self._sync = tf.function(self._sync_fn, input_signature=[tf.TensorSpec([], tf.float32)])

    def _update_fn(self, obs, actions, rewards, next_obs, terminated, weights):
        hp, mode = self.hp, self.hp["target_mode"]
        if mode == "online":
            boot = tf.reduce_max(self.online(next_obs), 1)
        elif mode == "target":
            boot = tf.reduce_max(self.target(next_obs), 1)
        else:
            best = tf.argmax(self.online(next_obs), 1)
            boot = tf.gather(self.target(next_obs), best, batch_dims=1)
        y = tf.stop_gradient(rewards + hp["gamma"] * (1.0 - terminated) * boot)
        with tf.GradientTape() as tape:
            q_sa = tf.gather(self.online(obs), actions, batch_dims=1)
            td = y - q_sa
            if hp["loss"] == "huber":
                a, d = tf.abs(td), hp["huber_delta"]
                per = tf.where(a <= d, 0.5 * tf.square(td), d * (a - 0.5 * d))
            else:
                per = tf.square(td)
            loss = tf.reduce_mean(weights * per)
        grads = tape.gradient(loss, self.online.variables)
        self.opt.apply_gradients(zip(grads, self.online.variables))
        return loss, td

    def _sync_fn(self, tau):
        for t, o in zip(self.target.variables, self.online.variables):
            t.assign(tau * o + (1.0 - tau) * t)
        return tau

    def q_values(self, obs):
        return self._q(tf.convert_to_tensor(obs, tf.float32)).numpy()

    def target_q_values(self, obs):
        return self._q_target(tf.convert_to_tensor(obs, tf.float32)).numpy()

    def update(self, batch, weights=None):
        n = len(batch["actions"])
        w = tf.ones([n]) if weights is None else tf.convert_to_tensor(weights, tf.float32)
        return self._update(
            tf.convert_to_tensor(batch["obs"], tf.float32),
            tf.convert_to_tensor(batch["actions"], tf.int64),
            tf.convert_to_tensor(batch["rewards"], tf.float32),
            tf.convert_to_tensor(batch["next_obs"], tf.float32),
            tf.convert_to_tensor(batch["terminated"], tf.float32),
            w,
        )

    def sync_target(self, tau=1.0):
        self._sync(tf.constant(tau, tf.float32))

    def get_weights(self):
        return {k: v.numpy().copy() for k, v in self.online.vars.items()}  # copies: .numpy() may share memory

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        for k, v in self.online.vars.items():
            v.assign(weights[k])
            self.target.vars[k].assign(weights[k])

    def describe(self):
        return {"compile": "tf.function (GradientTape)"}
