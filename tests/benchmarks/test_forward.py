"""Images/s of the frozen ResNet50 backbone's forward pass (with its 2,049-parameter head), the
part that dominates transfer learning's cost, per backend. Run with ``pytest --benchmark-only``."""

import pytest
from bench_support import benchmark_predict
from support import backends

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.mark.parametrize("backend", backends("transfer_resnet50", reference=False))
def test_resnet50_forward(benchmark, backend):
    benchmark.group = "transfer_resnet50 forward (batch 32, 100x100)"
    benchmark_predict(benchmark, "transfer_resnet50", backend, batch_size=32)
