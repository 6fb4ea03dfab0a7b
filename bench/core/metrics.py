"""Quality metrics computed by the harness, identically for every backend."""

from __future__ import annotations

import numpy as np


def predict_batched(learner, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    return np.concatenate([learner.predict(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


def accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    """Top-1 accuracy from class scores (N, C), or from one sigmoid/logit column (N,) or (N, 1)
    against 0/1 labels (a score above 0.5 for probabilities; pass logits > 0 as probabilities
    by thresholding before calling if needed)."""
    labels = np.asarray(labels).reshape(-1)
    scores = np.asarray(scores)
    if scores.ndim == 2 and scores.shape[1] > 1:
        pred = scores.argmax(1)
    else:
        pred = (scores.reshape(-1) > 0.5).astype(labels.dtype)
    return float(np.mean(pred == labels))


class RunningMean:
    """The running mean of the values given to ``update`` (numpy's tf.keras.metrics.Mean):
    ``update(values, weights=None)``, ``result()`` (0.0 when empty), ``reset()``."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.total, self.count = 0.0, 0.0

    def update(self, values, weights=None) -> None:
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        w = (
            np.ones_like(values)
            if weights is None
            else np.broadcast_to(np.asarray(weights, dtype=np.float64).reshape(-1), values.shape)
        )
        self.total += float(np.sum(values * w))
        self.count += float(np.sum(w))

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


class SparseCategoricalAccuracy(RunningMean):
    """Running top-1 accuracy of class scores (N, C) against integer labels (N,)."""

    def update(self, labels, scores) -> None:  # noqa: D102 (same order as Keras: y_true, y_pred)
        labels = np.asarray(labels).reshape(-1)
        super().update(np.asarray(scores).argmax(-1) == labels)


def binary_cross_entropy(p: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of predicted P(class 1) against 0/1 labels (clipped to 1e-7)."""
    p = np.clip(np.asarray(p, dtype=np.float64).reshape(-1), 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Numerically stable log-softmax over the last axis (subtracts the maximum first)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def sparse_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-example cross-entropy of logits (N, C) against integer labels (N,)."""
    labels = np.asarray(labels).reshape(-1).astype(np.int64)
    return -log_softmax(logits)[np.arange(len(labels)), labels]


def param_count(weights, trainable_only: bool = True) -> int:
    """Number of parameters in a canonical weight dict; BatchNorm moving statistics
    ("*/moving_mean", "*/moving_variance") are not trainable and count only when asked."""
    return int(
        sum(
            np.size(v)
            for k, v in weights.items()
            if not (trainable_only and k.rsplit("/", 1)[-1].startswith("moving_"))
        )
    )
