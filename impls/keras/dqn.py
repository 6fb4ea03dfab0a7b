"""DQN-family network side in Keras 3, on every Keras engine, as the document's Keras DQN trains:
online and target functional Models (dueling aggregation as a Keras layer); one
``train_on_batch`` of the online Model per update, with the transition as labels (reward,
termination, action, and both networks' compiled predictions of Q(s', .)) and the importance
weights as sample weights. In the compiled step the loss forms the Q-target (online max / target
max / double) behind stop_gradient, picks Q(s, a) and applies MSE or Huber per transition (Keras's
reduction: mean_i w_i * l_i); the TD errors y - Q(s, a) of the same forward pass come back as a
compiled metric (``TDErrors``). Soft or hard target update by variable assignment."""

import keras
import numpy as np
from keras import ops

from bench.core.interface import check_weights
from bench.rl.agent import QLearner
from impls.keras._learner import compile_label, jit_compile, set_precision, train_on_batch
from impls.keras._optim import optimizer
from impls.keras._rlnet import build, get_canonical, set_canonical


def td_errors(labels, q, gamma, mode):
    """y - Q(s, a) from labels [r, terminated, a, Q(s', .; theta), Q(s', .; theta-)] and Q(s, .)."""
    labels, q = ops.convert_to_tensor(labels, "float32"), ops.convert_to_tensor(q)
    n = ops.shape(q)[1]
    rewards, terminated, actions = labels[:, 0], labels[:, 1], ops.cast(labels[:, 2:3], "int32")
    q_next, q_next_target = labels[:, 3 : 3 + n], labels[:, 3 + n :]
    if mode == "online":
        boot = ops.max(q_next, axis=1)
    elif mode == "target":
        boot = ops.max(q_next_target, axis=1)
    else:
        best = ops.argmax(q_next, axis=1)
        boot = ops.take_along_axis(q_next_target, ops.cast(best, "int32")[:, None], axis=1)[:, 0]
    y = ops.stop_gradient(rewards + gamma * (1.0 - terminated) * boot)
    return y - ops.take_along_axis(q, actions, axis=1)[:, 0]


class TDLoss(keras.losses.Loss):
    """Per-transition TD loss: td^2 (``mse``) or Huber with ``delta``."""

    def __init__(self, hp, **kwargs):
        super().__init__(name="td_loss", **kwargs)
        self.hp = hp

    def call(self, labels, q):
        td, kind, delta = td_errors(labels, q, self.hp["gamma"], self.hp["target_mode"]), self.hp["loss"], 0.0
        if kind == "huber":
            a, delta = ops.abs(td), self.hp["huber_delta"]
            return ops.where(a <= delta, 0.5 * ops.square(td), delta * (a - 0.5 * delta))
        return ops.square(td)


class TDErrors(keras.metrics.Metric):
    """The TD errors of the step's batch (its first ``n`` of ``capacity`` entries), from the
    forward pass the loss uses."""

    def __init__(self, hp, **kwargs):
        super().__init__(name="td", **kwargs)
        self.hp, self.capacity = hp, int(hp["batch_size"])
        self.td = self.add_variable((self.capacity,), initializer="zeros", name="td")

    def update_state(self, labels, q, sample_weight=None):
        td = td_errors(labels, q, self.hp["gamma"], self.hp["target_mode"])
        self.td.assign(ops.slice_update(ops.zeros((self.capacity,)), (0,), td))

    def result(self):
        return ops.convert_to_tensor(self.td.value)

    def reset_state(self):
        self.td.assign(ops.zeros((self.capacity,)))


class Learner(QLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        set_precision(self.precision)  # the mode and precision: bench.core.interface, impls/keras/_learner.py
        self.online, self.names = build(hp, name="online")
        self.target, _ = build(hp, name="target")
        set_precision("fp32")
        self.target.trainable = False
        self.jit = jit_compile(self.mode)
        self.online.compile(
            optimizer=optimizer(hp),
            loss=TDLoss(hp),
            metrics=[TDErrors(hp)],
            jit_compile=self.jit,
        )

    def q_values(self, obs):
        return self.online.predict_on_batch(np.asarray(obs, np.float32))

    def target_q_values(self, obs):
        return self.target.predict_on_batch(np.asarray(obs, np.float32))

    def update(self, batch, weights=None):
        mode, n = self.hp["target_mode"], len(batch["actions"])
        next_obs = np.asarray(batch["next_obs"], np.float32)
        zeros = np.zeros((n, int(self.hp["n_actions"])), np.float32)
        columns = [batch["rewards"], batch["terminated"], batch["actions"]]
        labels = np.concatenate(
            [
                np.stack(columns, axis=1).astype(np.float32),
                self.q_values(next_obs) if mode != "target" else zeros,
                self.target_q_values(next_obs) if mode != "online" else zeros,
            ],
            axis=1,
        )
        w = np.ones(n, np.float32) if weights is None else np.asarray(weights, np.float32)
        logs = train_on_batch(self.online, np.asarray(batch["obs"], np.float32), labels, w)
        return logs["loss"], logs["td"][:n]

    def sync_target(self, tau=1.0):
        tau = float(tau)
        for t, o in zip(self.target.weights, self.online.weights):
            t.assign(tau * o + (1.0 - tau) * t)

    def get_weights(self):
        return get_canonical(self.online, self.names)

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        set_canonical(self.online, self.names, weights)
        set_canonical(self.target, self.names, weights)

    def describe(self):
        return {
            "compile": f"compile + train_on_batch with sample weights ({compile_label(self.jit)})",
            "keras_backend": keras.backend.backend(),
            "compute_dtype": self.online.compute_dtype,
        }
