"""Throughput of one train step for every supervised (algorithm, backend) cell, through
pytest-benchmark. Run with ``pytest --benchmark-only``; benchmarks are grouped by algorithm so
the backends sit side by side. The quick-budget quality metric and the config card go into
``extra_info``."""

import os

import pytest
from bench_support import CELLS_SUPERVISED, benchmark_train_step
from support import axes

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.mark.parametrize("algo,backend", CELLS_SUPERVISED, ids=[f"{a}-{b}" for a, b in CELLS_SUPERVISED])
def test_train_step(benchmark, algo, backend):
    benchmark.group = algo
    benchmark_train_step(benchmark, algo, backend)


# every mode and precision of lenet5, mlp and resnet10, grouped by (algorithm, backend) so that a
# backend's modes sit together (the quality and the first step's compile time go in extra_info)
MODE_ALGOS = ("lenet5", "mlp", "resnet10")
CELLS_MODES = [
    (a, b, m, p)
    for a, b in CELLS_SUPERVISED
    if a in MODE_ALGOS
    for m, p in axes(a, b, os.environ.get("BENCH_DEVICE", "cpu"))
]


@pytest.mark.parametrize(
    "algo,backend,mode,precision", CELLS_MODES, ids=[f"{a}-{b}-{m}-{p}" for a, b, m, p in CELLS_MODES]
)
def test_train_step_modes(benchmark, algo, backend, mode, precision):
    benchmark.group = f"{algo} {backend}: modes x precisions"
    benchmark_train_step(benchmark, algo, backend, mode=mode, precision=precision)
