"""The plumbing shared by the low-level TensorFlow supervised classifiers: canonical-layout
variables, the spec's optimizer (impls/tf/_optim.py), a GradientTape step and the prediction under tf.function, and the
canonical weights. A module's ``Learner`` defines ``_logits(x, training)`` (and ``_loss`` to add
a term) and ends its ``__init__`` with ``self._setup``.

Modes (``self.mode``): ``eager`` runs the step and the prediction as plain Python, ``graph`` (the
default) under ``tf.function``, ``xla`` under ``tf.function(jit_compile=True)``. Precision bf16:
the inputs are cast to bfloat16, the layers cast the float32 variables to it (impls/tf/_cnn.py),
the logits come back in float32 for the loss, which is float32, as are the gradients and the
optimizer's update of the float32 weights."""

import tensorflow as tf

from bench.core.interface import Learner as Base, check_weights
from impls.tf import _cnn, _optim


class ClassifierLearner(Base):
    binary = False  # True: one logit per example, sigmoid cross-entropy, predict gives P(class 1)

    def _setup(self, shapes):
        """Variables for ``shapes`` (canonical name -> shape), the optimizer, and the step and
        prediction in the learner's mode."""
        self.v = _cnn.variables(shapes)
        self.trainable = [v for v in self.v.values() if v.trainable]
        self.opt = _optim.optimizer(self.hp)
        self.compute = tf.bfloat16 if self.precision == "bf16" else tf.float32
        self.mode = self.mode or "graph"
        if self.mode == "eager":
            self._step, self._predict = self._step_fn, self._predict_fn
        else:  # autograph off: the control flow is plain Python on settings, traced once
            compiled = dict(jit_compile=self.mode == "xla", reduce_retracing=True, autograph=False)
            self._step = tf.function(self._step_fn, **compiled)
            self._predict = tf.function(self._predict_fn, **compiled)

    def _logits(self, x, training):
        raise NotImplementedError

    _bn_record = None  # a dict while bn_batch_stats runs

    def _bn(self, x, name, training):
        return _cnn.batch_norm(
            self.v, x, name, training, self.hp["bn_momentum"], self.hp["bn_epsilon"], self._bn_record
        )

    def _loss(self, x, y):
        """Mean cross-entropy of the training-mode logits."""
        ce = tf.nn.sigmoid_cross_entropy_with_logits if self.binary else tf.nn.sparse_softmax_cross_entropy_with_logits
        return tf.reduce_mean(ce(y, self._logits_fp32(x, True)))

    def _logits_fp32(self, x, training):
        """The logits of float32 ``x`` computed in the learner's precision, as float32."""
        return tf.cast(self._logits(tf.cast(x, self.compute), training), tf.float32)

    def _step_fn(self, x, y):
        with tf.GradientTape() as tape:
            loss = self._loss(x, y)
        self.opt.apply_gradients(zip(tape.gradient(loss, self.trainable), self.trainable, strict=True))
        return loss

    def _predict_fn(self, x):
        logits = self._logits_fp32(x, False)
        return tf.sigmoid(logits) if self.binary else logits

    def train_step(self, x, y):
        return self._step(tf.convert_to_tensor(x), tf.convert_to_tensor(y))

    def predict(self, x):
        return self._predict(tf.convert_to_tensor(x, tf.float32)).numpy()

    def bn_batch_stats(self, x):
        self._bn_record = {}
        try:  # eager, inference mode (no dropout); batch_norm records and uses the batch statistics
            self._logits_fp32(tf.convert_to_tensor(x, tf.float32), False)
            return self._bn_record
        finally:
            self._bn_record = None

    def get_weights(self):
        return {n: v.numpy().copy() for n, v in self.v.items()}  # copies: .numpy() may share memory

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        for n, v in self.v.items():
            v.assign(weights[n])

    def set_lr(self, lr):
        self.opt.learning_rate.assign(lr)

    def describe(self):
        what = {"eager": "eager", "graph": "tf.function", "xla": "tf.function (XLA)"}[self.mode]
        return {"compile": what, "compute_dtype": self.compute.name}
