"""(algorithm, backend) -> implementation, imported lazily.

An implementation is the module ``impls/<backend>/<module>.py`` (``module``: the spec's
``impl``, by default its name); it exposes ``Learner`` (a :class:`bench.core.interface.Learner`) for
supervised algorithms, or what the RL driver asks for.

Plug-ins add algorithms without editing this repository. ``BENCH_PLUGINS=pkg1,pkg2`` names
modules (importable from ``PYTHONPATH``) that :func:`bench.specs.load_plugins` imports the
first time the specs are listed, before any lookup here. A plug-in module registers

* its specs: ``bench.specs.register(Spec(...))`` (a new name; the spec's ``impl`` names its
  implementation module), and
* its implementations: ``register_impl(backend, module, "pkg.path.to.module")`` for each
  backend it translates the algorithm to (one of the known backends; a module that
  ``impls/<backend>/`` already has cannot be replaced).

Everything else (``bench list``, ``bench run``, the generated smoke and parity tests) then treats
the plug-in's algorithm like any other. Child processes inherit the environment, so the cells of
a run find the plug-in too.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from bench import specs
from bench.core.backends import BACKENDS, REFERENCE_BACKENDS
from bench.core.errors import BenchError, choices

ROOT = Path(__file__).resolve().parents[2]
_PLUGIN_IMPLS: dict[tuple[str, str], str] = {}  # (backend, module) -> import path, from plug-ins


def register_impl(backend: str, module: str, import_path: str) -> None:
    """A plug-in's implementation of the spec(s) whose ``impl`` (module) is ``module`` in
    ``backend``: the module at ``import_path``, imported when first used."""
    pool = BACKENDS + REFERENCE_BACKENDS
    if backend not in pool:
        raise BenchError(
            f"plug-in implementation '{import_path}': unknown backend '{backend}'; choose from: {choices(pool)}"
        )
    if _find(f"impls.{backend}.{module}"):
        raise BenchError(f"plug-in implementation '{import_path}': impls/{backend}/{module}.py exists already")
    _PLUGIN_IMPLS[(backend, module)] = import_path


def _find(path: str) -> bool:
    try:
        return importlib.util.find_spec(path) is not None
    except ModuleNotFoundError:
        return False


def impl_path(algo: str, backend: str) -> str:
    """The import path of ``algo``'s implementation in ``backend`` (it may not exist)."""
    module = specs.get(algo).module
    return _PLUGIN_IMPLS.get((backend, module), f"impls.{backend}.{module}")


def has_impl(algo: str, backend: str) -> bool:
    try:
        return _find(impl_path(algo, backend))
    except BenchError:
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
        raise BenchError(f"{algo} has no {backend} implementation; available: {choices(backends_for(algo, True))}")


def implementation(algo: str, backend: str, attr: str = "Learner"):
    """The class ``attr`` (the learner) of ``algo``'s translation for ``backend``, imported now."""
    check(algo, backend)
    module = importlib.import_module(impl_path(algo, backend))
    return getattr(module, attr)
