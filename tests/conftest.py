"""Test configuration.

* Plain ``pytest`` runs the tests; the pytest-benchmark benchmarks (tests/benchmarks) are
  skipped unless ``--benchmark-only`` is given.
* Tests marked ``slow`` train to a full budget, or trace and compile a large network in every
  framework (over ~20 s each on a 2-core CPU); they run with ``--runslow``.
* tests/support.py builds learners and lists the registry's (algorithm, backend) cases for every
  test; tests/protocols.py holds the parity protocols of tests/test_generated.py.
"""

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# runs made by tests never touch the user's history database
os.environ["BENCH_HISTORY"] = str(Path(tempfile.mkdtemp(prefix="bench-test-")) / "history.sqlite")


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    bench_only = config.getoption("benchmark_only", default=False)
    skip_bench = pytest.mark.skip(reason="benchmark: run with pytest --benchmark-only")
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "benchmark" in getattr(item, "fixturenames", ()) and not bench_only:
            item.add_marker(skip_bench)
        if "slow" in item.keywords and not config.getoption("--runslow"):
            item.add_marker(skip_slow)


def pytest_collection_finish(session):
    """The generated tests' cases that run in worker processes (tests/protocols.py): Keras on its
    other engines, and the cases marked ``background``; each group's worker computes them all in
    one go, beside the session's other tests."""
    from protocols import FIRST_STEPS, WORKER_CASES, worker_case, worker_group

    from bench.core.backends import parse_label

    for item in session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        backend = str(params.get("backend", ""))
        in_worker = parse_label(backend)[1] or item.get_closest_marker("background")
        if in_worker and not item.get_closest_marker("skip"):
            if "mode" in params:  # tests/test_modes.py: the case and its default twin
                axes = (params["mode"], "fp32") if params["mode"] else (None, "bf16")
                names = [FIRST_STEPS.name, worker_case(FIRST_STEPS.name, *axes)]
            else:
                names = [params["protocol"].name if "protocol" in params else "smoke"]
            WORKER_CASES.setdefault(worker_group(backend), set()).update((params["algo"], backend, n) for n in names)
    bench_only = session.config.getoption("benchmark_only", default=False)  # the generated tests do not run
    if WORKER_CASES and not session.config.option.collectonly and not bench_only:
        from protocols import start_workers

        start_workers(sorted(WORKER_CASES))  # they compute while the session runs its other tests


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    """Each test starts torch.compile afresh, as each cell's own process does: Dynamo caches its
    graphs on the code object, which the learners of many tests share, so that without a reset a
    later test would see the earlier tests' shapes (and go dynamic) or hit the recompile limit
    (and run eager)."""
    yield
    import sys

    if "torch._dynamo" in sys.modules:
        sys.modules["torch._dynamo"].reset()
