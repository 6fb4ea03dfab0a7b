"""Small statistics used by the harness and the reports.

``spread``: median and interquartile range of repeated measurements.

``median_ci``: the median over seeds and a distribution-free interval for it from order
statistics, [x_(j), x_(n+1-j)], whose coverage 1 - 2 P(Binomial(n, 1/2) < j) holds for any
distribution; the achieved coverage is returned with it (with 3 seeds the best available is
[min, max] at 75%, with 2 seeds 50%). A value of None counts as +inf: a *censored* value, such as
the time to target of a seed that never reached it (it took longer than its budget), which moves
the median rather than being dropped.

``finite``: the finite numbers among values of any type (None, strings and booleans dropped).

The distributions come from scipy (the binomial tail of the interval's coverage); medians and
percentiles from numpy, whose ``percentile`` is what scipy itself recommends over its legacy
``scoreatpercentile``."""

from __future__ import annotations

import math

import numpy as np


def finite(values) -> np.ndarray:
    """The finite numbers among ``values`` as a float array."""
    v = np.asarray(
        [x for x in values if isinstance(x, (int, float, np.number)) and not isinstance(x, bool)], dtype=float
    )
    return v[np.isfinite(v)]


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


def median_ci(values, level: float = 0.95):
    """``(median, lo, hi, coverage)``: the narrowest symmetric order-statistic interval whose
    coverage is >= ``level`` or, with too few values for that, [min, max] with its lower coverage
    (0 with one value). ``(None, None, None, None)`` without values."""
    from scipy.stats import binom

    v = np.sort(np.asarray([math.inf if x is None else float(x) for x in values], dtype=np.float64))
    n = v.size
    if n == 0:
        return None, None, None, None

    def coverage(j):  # of [x_(j), x_(n+1-j)], 1-based j: 1 - 2 P(Binomial(n, 1/2) <= j - 1)
        return float(1.0 - 2.0 * binom.cdf(j - 1, n, 0.5))

    j = 1
    while j + 1 <= (n + 1) // 2 and coverage(j + 1) >= level:
        j += 1
    return float(np.median(v)), float(v[j - 1]), float(v[n - j]), coverage(j) if 2 * j <= n else 0.0
