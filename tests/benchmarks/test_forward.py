"""Images/s of the frozen ResNet50 backbone's forward pass (with its 2,049-parameter head), the
part that dominates transfer learning's cost, per backend. Run with ``pytest --benchmark-only``."""

import pytest

from bench import registry
from bench.bench_support import benchmark_predict

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.mark.parametrize("backend", registry.backends_for("transfer_resnet50"))
def test_resnet50_forward(benchmark, backend):
    benchmark.group = "transfer_resnet50 forward (batch 32, 100x100)"
    benchmark_predict(benchmark, "transfer_resnet50", backend, batch_size=32)
