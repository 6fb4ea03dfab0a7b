"""The common interface every backend implements.

A *learner* is one algorithm in one framework: the model, its loss and its update step, and
nothing else (no timing, data loading, file I/O or printing: the harness owns those).

* ``Learner(hp, seed, device)`` builds the model from the spec's resolved hyperparameters.
  ``device`` is ``"cpu"`` or ``"gpu"``; the harness has already configured the framework.
* The execution axes come in the same settings, added by the harness (bench.train.runner, from the
  cell's RunConfig; :mod:`bench.core.modes` declares and validates them): ``hp["mode"]``, the
  backend's execution mode (tf: ``eager``, ``graph``, ``xla``; torch: ``eager``, ``compile``,
  ``compile-max``, ``reduce-overhead``; keras: ``jit-off``, ``jit-on``, and on JAX ``fit``), and ``hp["precision"]``
  (``fp32``, or ``bf16``: bf16 compute with fp32 weights, inputs and outputs). The base class
  exposes them as ``self.mode`` (None when built without the harness: the backend's default)
  and ``self.precision``. A learner honours both in ``train_step`` and ``predict`` (RL: in the
  update and the action selection) and does no validation, timing or counting of its own:
  compile time and recompilations are measured by the harness around the calls.
* ``train_step(x, y)`` runs one compiled update on numpy batches and returns the loss as a
  framework scalar (the harness converts it with ``float()`` only when it needs the value, so a
  GPU pipeline is not forced to synchronise on every step).
* ``train_steps`` (optional, None by default): a learner whose idiom trains many steps in one
  call (Keras's ``fit`` over an epoch, the Keras mode ``fit``) sets it to a function
  ``(x, y, batch_size) -> per-step losses``: the steps on the consecutive batches of ``x`` and
  ``y``, in order, as ``train_step`` would run them one by one. The drivers then call it once per
  timed round of batches.
* ``predict(x)`` returns a numpy array.
* ``set_lr(lr)`` (optional) changes the optimizer's learning rate between steps.
* ``bn_batch_stats(x)`` (optional, for nets with BatchNorm) returns ``{layer: (mean, variance)}``,
  the per-channel mean and biased variance of each BatchNorm layer's input over the batch ``x``
  (canonical layer names), from one forward pass in which every BatchNorm normalises by its batch
  statistics, as in training, and dropout is off. It changes no weights and no moving
  statistics. :mod:`bench.core.bnstats` builds population statistics from it.
* ``get_weights()`` / ``set_weights(w)`` exchange a ``dict[str, np.ndarray]`` in the canonical
  layout (Keras conventions: dense kernels ``(in, out)``, conv kernels ``(h, w, in, out)``,
  names ``"<layer>/<kind>"``), so the harness can copy one set of weights into every backend.
  :mod:`bench.core.layout` converts to and from other layouts. ``get_weights`` returns copies: the
  arrays must not change when training continues.
"""

from __future__ import annotations

import abc
from typing import Any, Mapping

import numpy as np

Weights = dict[str, np.ndarray]


class Learner(abc.ABC):
    def __init__(self, hp: Mapping[str, Any], seed: int, device: str = "cpu"):
        self.hp = dict(hp)
        self.seed = seed
        self.device = device
        self.mode = self.hp.get("mode")  # None: the backend's default mode
        self.precision = self.hp.get("precision") or "fp32"

    train_steps = None  # (x, y, batch_size) -> per-step losses, where the idiom trains many steps a call

    @abc.abstractmethod
    def train_step(self, x: np.ndarray, y: np.ndarray) -> Any: ...

    @abc.abstractmethod
    def predict(self, x: np.ndarray) -> np.ndarray: ...

    @abc.abstractmethod
    def get_weights(self) -> Weights: ...

    @abc.abstractmethod
    def set_weights(self, weights: Mapping[str, np.ndarray]) -> None: ...

    def set_lr(self, lr: float) -> None:
        """Set the optimizer's learning rate (for a spec's ``lr_decay_epoch`` schedule, which the
        driver applies between epochs, off the clock)."""
        raise NotImplementedError(f"{type(self).__name__} has no learning-rate schedule")

    def bn_batch_stats(self, x: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Each BatchNorm layer's input mean and biased variance over ``x`` (see the module doc)."""
        raise NotImplementedError(f"{type(self).__name__} has no BatchNorm statistics")

    def describe(self) -> dict:
        """Facts for the config card (for example the compile mode); override to add."""
        return {}


def check_weights(expected: Mapping[str, np.ndarray], given: Mapping[str, np.ndarray]) -> None:
    """Raise a clear error when a canonical weight dict does not fit the model."""
    missing = sorted(set(expected) - set(given))
    extra = sorted(set(given) - set(expected))
    if missing or extra:
        raise ValueError(f"weights do not match the model: missing {missing}, unexpected {extra}")
    for name, ref in expected.items():
        if tuple(np.shape(given[name])) != tuple(np.shape(ref)):
            raise ValueError(
                f"weight '{name}' has shape {tuple(np.shape(given[name]))}, the model expects {tuple(np.shape(ref))}"
            )
