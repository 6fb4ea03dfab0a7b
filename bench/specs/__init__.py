"""The algorithm specs. Each module in this package that defines ``SPEC`` (one Spec) or
``SPECS`` (an iterable of Spec, e.g. an RL algorithm's tuned and documented pair) adds its
specs to the registry, the CLI and the test matrix.

Algorithms from outside this package come from plug-ins: ``BENCH_PLUGINS=pkg1,pkg2`` names
modules that are imported the first time the specs are listed; each calls :func:`register`
with its specs (and :func:`bench.specs.registry.register_impl` with its implementations).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from functools import lru_cache

from bench.core.errors import BenchError, choices
from bench.specs.base import BUDGETS, Spec, parse_overrides

__all__ = ["BUDGETS", "PLUGINS_ENV", "Spec", "all_specs", "get", "load_plugins", "names", "parse_overrides", "register"]

PLUGINS_ENV = "BENCH_PLUGINS"  # comma-separated module names, imported by load_plugins
_registered: dict[str, Spec] = {}  # specs registered by plug-ins
_plugins: set[str] = set()  # plug-in modules imported so far


@lru_cache(maxsize=None)
def _discovered() -> dict[str, Spec]:
    found: dict[str, Spec] = {}
    for mod in pkgutil.iter_modules(__path__):
        if mod.name.startswith("_") or mod.name in ("base", "registry", "families"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        for spec in (getattr(module, "SPEC", None), *getattr(module, "SPECS", ())):
            if isinstance(spec, Spec):
                if spec.name in found:
                    raise RuntimeError(f"spec '{spec.name}' is defined twice (again in bench.specs.{mod.name})")
                found[spec.name] = spec
    return dict(sorted(found.items()))


def all_specs() -> dict[str, Spec]:
    """Every algorithm, by name: this package's specs and the plug-ins' (:func:`load_plugins`)."""
    load_plugins()
    return dict(sorted({**_discovered(), **_registered}.items()))


def load_plugins() -> None:
    """Import each module named in ``$BENCH_PLUGINS`` once; one that cannot be imported is a
    BenchError (one line)."""
    for module in (m.strip() for m in os.environ.get(PLUGINS_ENV, "").split(",")):
        if not module or module in _plugins:
            continue
        _plugins.add(module)
        try:
            importlib.import_module(module)
        except ImportError as exc:
            _plugins.discard(module)
            raise BenchError(f"{PLUGINS_ENV}: cannot import plug-in '{module}': {exc}") from None


def register(spec: Spec) -> Spec:
    """Add an algorithm defined outside this package (a plug-in's spec); returns it. Its name
    must not be taken by another algorithm."""
    if not isinstance(spec, Spec):
        raise TypeError(f"register() takes a bench.specs.Spec, not {type(spec).__name__}")
    taken = _discovered().get(spec.name) or _registered.get(spec.name)
    if taken is not None and taken is not spec:
        raise BenchError(f"plug-in algorithm '{spec.name}': an algorithm of that name exists already")
    _registered[spec.name] = spec
    return spec


def names() -> list[str]:
    return list(all_specs())


def get(name: str) -> Spec:
    specs = all_specs()
    if name not in specs:
        raise BenchError(f"unknown algorithm '{name}'; choose from: {choices(specs)}")
    return specs[name]
