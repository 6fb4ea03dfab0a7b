"""Throughput of one train step for every supervised (algorithm, backend) cell, through
pytest-benchmark. Run with ``pytest --benchmark-only``; benchmarks are grouped by algorithm so
the backends sit side by side. The quick-budget quality metric and the config card go into
``extra_info``."""

import pytest
from bench_support import CELLS_SUPERVISED, benchmark_train_step

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.mark.parametrize("algo,backend", CELLS_SUPERVISED, ids=[f"{a}-{b}" for a, b in CELLS_SUPERVISED])
def test_train_step(benchmark, algo, backend):
    benchmark.group = algo
    benchmark_train_step(benchmark, algo, backend)
