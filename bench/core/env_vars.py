"""Settings the harness reads from the environment, checked: a value that does not parse is a
:class:`~bench.core.errors.BenchError` naming the variable, not an ``int()`` traceback."""

from __future__ import annotations

import os

from bench.core.errors import BenchError


def env_count(name: str, default: int) -> int:
    """A whole number of at least 1 from ``$name`` (``BENCH_ROUNDS``, ``BENCH_ITERATIONS``,
    ``BENCH_THREADS``), else ``default`` when it is unset or empty."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return int(default)
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise BenchError(f"{name}={os.environ[name]!r}: must be a whole number of at least 1 (default {default})")
    return value
