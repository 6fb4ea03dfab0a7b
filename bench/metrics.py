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
