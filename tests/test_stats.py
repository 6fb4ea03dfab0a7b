"""bench.core.stats: the median interval shared by the report and the RL summary."""

import math

import numpy as np
import pytest

from bench.core.stats import median_ci


def test_median_ci_is_order_statistics_with_censoring():
    # 3 seeds: [min, max] with coverage 1 - 2 / 8
    assert median_ci([40.0, 10.0, 20.0]) == (20.0, 10.0, 40.0, 0.75)
    # an unsolved seed counts as +inf: it moves the median, it is not dropped
    assert median_ci([10.0, None, 30.0])[:3] == (30.0, 10.0, math.inf)
    assert median_ci([None, None, 30.0])[0] == math.inf
    assert median_ci([]) == (None, None, None, None)
    # n = 20: [x_(6), x_(15)] has coverage 1 - 2 P(Bin(20, 1/2) <= 5) = 0.9586
    med, lo, hi, cov = median_ci(list(range(20)))
    assert (med, lo, hi) == (9.5, 5.0, 14.0) and cov == pytest.approx(0.95861, abs=1e-5)
    # the interval holds the true median at about its stated rate
    rng = np.random.default_rng(0)
    hits = [lo <= 0.0 <= hi for lo, hi in (median_ci(rng.normal(0, 1, 20))[1:3] for _ in range(2000))]
    assert abs(np.mean(hits) - cov) < 0.02
