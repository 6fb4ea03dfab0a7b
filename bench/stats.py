"""Small statistics used by the harness and the reports."""

from __future__ import annotations

import numpy as np


def spread(values) -> dict:
    """Median and spread of repeated measurements (e.g. samples/s per round)."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=np.float64)
    if v.size == 0:
        return {"median": None, "p25": None, "p75": None, "min": None, "max": None, "n": 0}
    return {
        "median": float(np.median(v)),
        "p25": float(np.percentile(v, 25)),
        "p75": float(np.percentile(v, 75)),
        "min": float(v.min()),
        "max": float(v.max()),
        "n": int(v.size),
    }
