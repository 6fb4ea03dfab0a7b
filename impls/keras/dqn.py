"""DQN-family network side in Keras 3: online and target functional Models (dueling
aggregation as a Keras layer), a custom compiled train step (tf.function with keras.ops math
and the spec's Keras optimizer, impls/keras/_optim.py): Q-targets (online max / target max / double), MSE or Huber TD
loss with importance weights; soft or hard target update. Models are called directly, never
through predict()."""

import keras
import tensorflow as tf
from keras import ops

from bench.interface import check_weights
from bench.rl.agent import QLearner
from impls.keras._learner import jit, set_precision
from impls.keras._optim import optimizer
from impls.keras._rlnet import build, get_canonical, set_canonical


class Learner(QLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        set_precision(self.precision)  # the mode and precision: bench.interface, impls/keras/_learner.py
        self.online, self.names = build(hp, name="online")
        self.target, _ = build(hp, name="target")
        set_precision("fp32")
        xla = jit(self.mode)
        self.target.trainable = False
        self.opt = optimizer(hp)
        self.opt.build(self.online.trainable_variables)
        obs = tf.TensorSpec([None, *hp["obs_shape"]], tf.float32)
        vec = tf.TensorSpec([None], tf.float32)
        self._q = tf.function(lambda x: self.online(x, training=False), input_signature=[obs], jit_compile=xla)
        self._q_target = tf.function(lambda x: self.target(x, training=False), input_signature=[obs], jit_compile=xla)
        self._update = tf.function(
            self._update_fn,
            input_signature=[obs, tf.TensorSpec([None], tf.int64), vec, obs, vec, vec],
            jit_compile=xla,
        )
        self._sync = tf.function(self._sync_fn, input_signature=[tf.TensorSpec([], tf.float32)])

    def _update_fn(self, obs, actions, rewards, next_obs, terminated, weights):
        hp, mode = self.hp, self.hp["target_mode"]
        if mode == "online":
            boot = ops.max(self.online(next_obs), axis=1)
        elif mode == "target":
            boot = ops.max(self.target(next_obs), axis=1)
        else:
            best = ops.argmax(self.online(next_obs), axis=1)
            boot = ops.take_along_axis(self.target(next_obs), best[:, None], axis=1)[:, 0]
        y = ops.stop_gradient(rewards + hp["gamma"] * (1.0 - terminated) * boot)
        variables = self.online.trainable_variables
        with tf.GradientTape() as tape:
            q_sa = ops.take_along_axis(self.online(obs, training=True), actions[:, None], axis=1)[:, 0]
            td = y - q_sa
            if hp["loss"] == "huber":
                a, d = ops.abs(td), hp["huber_delta"]
                per = ops.where(a <= d, 0.5 * ops.square(td), d * (a - 0.5 * d))
            else:
                per = ops.square(td)
            loss = ops.mean(weights * per)
        self.opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss, td

    def _sync_fn(self, tau):
        for t, o in zip(self.target.weights, self.online.weights):
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
        return get_canonical(self.online, self.names)

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        set_canonical(self.online, self.names, weights)
        set_canonical(self.target, self.names, weights)

    def describe(self):
        return {
            "compile": f"custom train step (tf.function{', XLA' if jit(self.mode) else ''}, keras.ops)",
            "keras_backend": keras.backend.backend(),
            "compute_dtype": self.online.compute_dtype,
        }
