"""DQN-family network side in low-level TensorFlow: online and target Q-networks as
tf.Variables, Q-targets (online max / target max / double), MSE or Huber TD loss with
importance weights, the spec's optimizer (impls/tf/_optim.py), and the target update, all in
tf.function: the mode (eager, graph, xla) and precision (fp32, bf16) as bench.core.interface says."""

import tensorflow as tf

from bench.core.interface import check_weights
from bench.rl.agent import QLearner
from impls.tf._optim import optimizer
from impls.tf._rlnet import Net


class Learner(QLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        dtype = tf.bfloat16 if self.precision == "bf16" else tf.float32
        self.online, self.target = Net(hp, dtype=dtype), Net(hp, trainable=False, dtype=dtype)
        self.opt = optimizer(hp)
        obs = tf.TensorSpec([None, *hp["obs_shape"]], tf.float32)
        vec = tf.TensorSpec([None], tf.float32)
        self.mode = self.mode or "graph"
        self._q = function(self.online.__call__, self.mode, [obs])
        self._q_target = function(self.target.__call__, self.mode, [obs])
        self._update = function(self._update_fn, self.mode, [obs, tf.TensorSpec([None], tf.int64), vec, obs, vec, vec])
        self._sync = function(self._sync_fn, self.mode, [tf.TensorSpec([], tf.float32)])

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
        what = {"eager": "eager", "graph": "tf.function", "xla": "tf.function (XLA)"}[self.mode]
        return {"compile": f"{what} (GradientTape)", "compute_dtype": self.online.dtype.name}


def function(fn, mode, signature):
    """``fn`` as the mode runs it: itself (eager), or a tf.function, with XLA in mode xla."""
    return fn if mode == "eager" else tf.function(fn, input_signature=signature, jit_compile=mode == "xla")
