"""The algorithm specs. Each module in this package that defines ``SPEC`` (one Spec) or
``SPECS`` (an iterable of Spec, e.g. an RL algorithm's tuned and documented pair) adds its
specs to the registry, the CLI and the test matrix."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from bench.errors import BenchError, choices
from bench.specs.base import BUDGETS, Spec, parse_overrides

__all__ = ["BUDGETS", "Spec", "all_specs", "get", "names", "parse_overrides"]


@lru_cache(maxsize=None)
def all_specs() -> dict[str, Spec]:
    found: dict[str, Spec] = {}
    for mod in pkgutil.iter_modules(__path__):
        if mod.name.startswith("_") or mod.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        for spec in (getattr(module, "SPEC", None), *getattr(module, "SPECS", ())):
            if isinstance(spec, Spec):
                if spec.name in found:
                    raise RuntimeError(f"spec '{spec.name}' is defined twice (again in bench.specs.{mod.name})")
                found[spec.name] = spec
    return dict(sorted(found.items()))


def names() -> list[str]:
    return list(all_specs())


def get(name: str) -> Spec:
    specs = all_specs()
    if name not in specs:
        raise BenchError(f"unknown algorithm '{name}'; choose from: {choices(specs)}")
    return specs[name]
