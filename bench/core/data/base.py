from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np


@dataclass
class SupervisedData:
    """Train and evaluation arrays plus the name of the data actually used (for the report)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_eval: np.ndarray
    y_eval: np.ndarray
    name: str
    extra: dict = field(default_factory=dict)  # e.g. the closed-form solution of a synthetic set
    # training-time augmentation applied by the driver to each batch, with the run's seeded RNG
    # (the same draws for every backend): (x_batch, rng) -> x_batch
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None

    @property
    def n_train(self) -> int:
        return len(self.x_train)


def batches(n: int, batch_size: int | None, rng: np.random.Generator | None) -> Iterator[np.ndarray]:
    """Index arrays for one epoch: shuffled when ``rng`` is given; the last batch may be short.
    ``batch_size`` None means full batch."""
    order = rng.permutation(n) if rng is not None else np.arange(n)
    size = n if batch_size is None else int(batch_size)
    for start in range(0, n, size):
        yield order[start : start + size]


@dataclass(frozen=True)
class Need:
    """A dataset a cell reads (a name of :data:`bench.core.data.catalog.DATASETS`), checked before any
    cell starts. ``fallback``: what the cell uses instead when the dataset is absent (announced on
    the console), or None when the cell cannot run without it."""

    dataset: str
    fallback: str | None = None


def data_dir() -> Path | None:
    """The data directory: ``$BENCH_DATA_DIR`` when set (CI points it at ../shared/data)."""
    value = os.environ.get("BENCH_DATA_DIR")
    return Path(value).expanduser() if value else None
