"""The plumbing shared by the Keras 3 learners, on every Keras engine (TensorFlow, JAX, PyTorch):
Keras's compilation per engine and mode (``jit_compile`` below, the one place it is decided), the
compiled train step (``train_on_batch``), the precision's dtype policy, and for the supervised
classifiers compile (the spec's optimizer, impls/keras/_optim.py; sparse categorical or binary
cross-entropy from logits), prediction and the canonical weights. A classifier module's
``Learner`` builds its model and ends its ``__init__`` with ``self._setup``.

Modes (``self.mode``): ``jit-off`` (the default) compiles with ``jit_compile=False``, ``jit-on``
with ``jit_compile=True`` (TensorFlow: XLA; PyTorch: ``torch.compile``; JAX: ``jax.jit``, always):
explicit, never Keras's "auto". ``fit`` (JAX, the classifiers): the same compiled step, trained a
whole epoch at a time through ``model.fit`` (``train_steps``), the Keras idiom beside the per-step
``train_on_batch``.
Precision bf16: the ``mixed_bfloat16`` dtype policy, set before the model is built (bf16 compute,
float32 variables; the losses cast the logits to float32)."""

import keras
import numpy as np

from bench.core.interface import Learner as Base
from impls.keras import _cnn, _optim


def jit_compile(mode=None):
    """Keras's ``jit_compile`` on this engine and mode: on for ``jit-on``, off for ``jit-off`` and
    None (the default), never Keras's "auto" (which turns XLA on where a GPU is listed). TensorFlow:
    XLA; PyTorch: ``torch.compile``. JAX: always on (``jax.jit``; off, Keras runs JAX op by op)."""
    return keras.backend.backend() == "jax" or mode == "jit-on"


def compile_label(jit):
    """How the train step runs, for the config card."""
    return {
        "tensorflow": "tf.function, XLA" if jit else "tf.function",
        "jax": "jax.jit" if jit else "eager (no jax.jit)",
        "torch": "torch.compile" if jit else "eager (no torch.compile)",
    }[keras.backend.backend()]


def train_on_batch(model, x, y, sample_weight=None):
    """``model.train_on_batch(x, y, sample_weight, return_dict=True)``: the logs of one compiled
    train step (``"loss"`` and the compiled metrics, this batch's alone). On TensorFlow the
    compiled train function is called directly, without train_on_batch's conversion of the logs to
    host values (which waits for the device on every step); the logs are then tensors. JAX and
    PyTorch go through train_on_batch itself: on JAX it writes the step's new state back into the
    model's variables (the state sync), so that the next call, ``predict`` and ``get_weights`` see
    it."""
    if keras.backend.backend() != "tensorflow":
        return model.train_on_batch(x, y, sample_weight=sample_weight, return_dict=True)
    if model.train_function is None:
        model.make_train_function()
    model.reset_metrics()
    return model.train_function(iter([(x, y, sample_weight)]))


def set_precision(precision):
    """The global dtype policy for the models built next: ``mixed_bfloat16`` for bf16."""
    keras.config.set_dtype_policy("mixed_bfloat16" if precision == "bf16" else "float32")


class ClassifierLearner(Base):
    binary = False  # True: one logit per example, binary cross-entropy, predict gives P(class 1)

    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        set_precision(self.precision)

    def _setup(self, model):
        """Compile ``model`` as :func:`jit_compile` decides for this engine and mode."""
        jit = jit_compile(self.mode)
        self.model, self.jit = model, jit
        loss = (
            keras.losses.BinaryCrossentropy(from_logits=True)
            if self.binary
            else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        )
        model.compile(optimizer=_optim.optimizer(self.hp), loss=loss, jit_compile=jit)
        set_precision("fp32")  # the model keeps its policy; models built later start from float32
        if self.mode == "fit":
            self.train_steps = self._fit

    def _fit(self, x, y, batch_size):
        """The whole-epoch idiom: ``model.fit`` over the consecutive batches of ``x`` and ``y``, in
        order. The per-step losses come from the logs' running mean of the loss (async callbacks:
        fit does not wait for them)."""
        means = {}
        record = keras.callbacks.LambdaCallback(
            on_train_batch_end=lambda step, logs: means.__setitem__(step, logs["loss"])
        )
        record.async_safe = True
        self.model.fit(
            x,
            y[:, None] if self.binary else y,
            batch_size=batch_size,
            epochs=1,
            shuffle=False,
            verbose=0,
            callbacks=[record],
        )
        mean = np.array([means[k] for k in range(len(means))], np.float64)  # mean of steps 0..k
        return mean * np.arange(1, len(mean) + 1) - np.concatenate([[0.0], mean[:-1] * np.arange(1, len(mean))])

    def train_step(self, x, y):
        return train_on_batch(self.model, x, y[:, None] if self.binary else y)["loss"]

    def predict(self, x):
        logits = np.asarray(self.model.predict_on_batch(x), np.float32)  # compiled predict, inference mode
        return 1.0 / (1.0 + np.exp(-logits[:, 0])) if self.binary else logits

    _bn_probe = None  # built on first use: the model up to each BatchNorm's input

    def bn_batch_stats(self, x):
        bns = [layer for layer in self.model.layers if isinstance(layer, keras.layers.BatchNormalization)]
        drops = [layer for layer in self.model.layers if isinstance(layer, keras.layers.Dropout)]
        if self._bn_probe is None:
            self._bn_probe = keras.Model(self.model.input, [layer.input for layer in bns])
        momenta, rates = [b.momentum for b in bns], [d.rate for d in drops]
        try:
            for b in bns:
                b.momentum = 1.0  # moving = moving * 1 + batch * 0: unchanged
            for d in drops:
                d.rate = 0.0
            outs = self._bn_probe(x, training=True)  # eager: every BatchNorm normalises by its batch statistics
        finally:
            for b, m in zip(bns, momenta):
                b.momentum = m
            for d, r in zip(drops, rates):
                d.rate = r
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        return {
            b.name: tuple(keras.ops.convert_to_numpy(t) for t in keras.ops.moments(o, list(range(len(o.shape) - 1))))
            for b, o in zip(bns, outs)
        }

    def get_weights(self):
        return _cnn.get_weights(self.model)

    def set_weights(self, weights):
        _cnn.set_weights(self.model, weights)

    def set_lr(self, lr):
        self.model.optimizer.learning_rate.assign(lr)

    def describe(self):
        return {
            "compile": f"keras {'model.fit per epoch' if self.train_steps else 'train_on_batch'} "
            f"({compile_label(self.jit)})",
            "compute_dtype": self.model.compute_dtype,
        }
