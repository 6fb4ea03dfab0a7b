"""Datasets: every backend gets the same numpy arrays, in the same order, for a given seed."""

from bench.core.data.base import SupervisedData, batches, data_dir

__all__ = ["SupervisedData", "batches", "data_dir"]
