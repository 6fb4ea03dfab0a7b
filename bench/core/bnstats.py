"""BatchNorm population statistics, recomputed with the current weights.

In inference mode a BatchNorm layer normalises by its moving averages, which trail the weights:
with momentum 0.99 they average roughly the last 100 batches, taken while the weights moved. A
net whose activations shift fast (the GAP tail of bench/specs/families/gap_head.py) can then score far
from what its weights would give. The fix known as precise BatchNorm (Wu & Johnson 2021,
"Rethinking 'Batch' in BatchNorm") replaces the moving averages, before an evaluation, by the
statistics of the training set under the current weights. Here they are exact, not averaged:
one pass over ``x`` in batches of the training batch size (each BatchNorm normalising by its
batch statistics, as in training; dropout off), pooled over all examples by the law of total
variance. The learner only reports per-batch moments (``Learner.bn_batch_stats``); the pooling
and the swap of the statistics live here, the same for every backend.
"""

from __future__ import annotations

import contextlib

import numpy as np


def population_stats(learner, x: np.ndarray, batch_size: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{layer: (mean, variance)}`` of every BatchNorm layer's input over all of ``x``."""
    if len(x) == 0:
        raise ValueError("population statistics need at least one example")
    count, s1, s2 = 0, {}, {}
    for i in range(0, len(x), batch_size):
        xb = x[i : i + batch_size]
        for name, (mean, var) in learner.bn_batch_stats(xb).items():
            mean, var = np.asarray(mean, np.float64), np.asarray(var, np.float64)
            s1[name] = s1.get(name, 0.0) + len(xb) * mean
            s2[name] = s2.get(name, 0.0) + len(xb) * (var + mean**2)
        count += len(xb)
    return {name: (s1[name] / count, np.maximum(s2[name] / count - (s1[name] / count) ** 2, 0.0)) for name in s1}


@contextlib.contextmanager
def population_statistics(learner, x: np.ndarray, batch_size: int):
    """Within the block the learner's moving statistics are the population statistics of ``x``;
    afterwards every weight is as it was, so training goes on unaffected."""
    saved = learner.get_weights()
    stats = population_stats(learner, x, batch_size)
    weights = dict(saved)
    for name, (mean, var) in stats.items():
        for key, value in ((f"{name}/moving_mean", mean), (f"{name}/moving_variance", var)):
            weights[key] = value.astype(saved[key].dtype)
    learner.set_weights(weights)
    try:
        yield stats
    finally:
        learner.set_weights(saved)
