"""Conversions between the canonical weight layout (Keras conventions) and other frameworks'."""

from __future__ import annotations

import numpy as np


def dense_to_torch(kernel: np.ndarray) -> np.ndarray:
    """(in, out) -> torch.nn.Linear's (out, in)."""
    return np.ascontiguousarray(np.asarray(kernel).T)


def dense_from_torch(weight: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(weight).T)


def conv_to_torch(kernel: np.ndarray) -> np.ndarray:
    """(h, w, in, out) -> torch.nn.Conv2d's (out, in, h, w)."""
    return np.ascontiguousarray(np.transpose(kernel, (3, 2, 0, 1)))


def conv_from_torch(weight: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.transpose(weight, (2, 3, 1, 0)))


def nhwc_to_nchw(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2)))


def nchw_to_nhwc(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.transpose(x, (0, 2, 3, 1)))
