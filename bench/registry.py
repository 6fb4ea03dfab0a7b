"""(algorithm, backend) -> implementation, imported lazily.

An implementation is the module ``impls/<backend>/<algorithm>.py``; it exposes ``Learner`` (a
:class:`bench.interface.Learner`) for supervised algorithms, or what the RL driver asks for.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from bench import specs
from bench.backends import BACKENDS, REFERENCE_BACKENDS
from bench.errors import BenchError, choices

ROOT = Path(__file__).resolve().parent.parent


def has_impl(algo: str, backend: str) -> bool:
    try:
        module = specs.get(algo).module
        return importlib.util.find_spec(f"impls.{backend}.{module}") is not None
    except (BenchError, ModuleNotFoundError):
        return False


def backends_for(algo: str, include_reference: bool = False) -> list[str]:
    pool = BACKENDS + (REFERENCE_BACKENDS if include_reference else ())
    return [b for b in pool if has_impl(algo, b)]


def check(algo: str, backend: str) -> None:
    specs.get(algo)
    pool = BACKENDS + REFERENCE_BACKENDS
    if backend not in pool:
        raise BenchError(f"unknown backend '{backend}'; choose from: {choices(pool)}")
    if not has_impl(algo, backend):
        raise BenchError(f"{algo} has no {backend} implementation; available: "
                         f"{choices(backends_for(algo, True))}")


def load(algo: str, backend: str, attr: str = "Learner"):
    check(algo, backend)
    module = importlib.import_module(f"impls.{backend}.{specs.get(algo).module}")
    return getattr(module, attr)
