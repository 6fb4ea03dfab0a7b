"""Kinds of measurement beyond the training run's own figures (quality, samples/s), added in one
place: a :class:`Measurement` registered here (or by a plug-in module named in ``BENCH_PLUGINS``,
as a plug-in spec is) appears everywhere a measurement goes, with no other file edited:

* ``bench run``: every cell of a spec of its kinds records ``after_training(ctx)`` in its
  Result's ``measurements`` (the record), and the report shows a table of them per algorithm;
* ``bench speed --measure NAME``: where it is a rate (``rate``), its calls are what the
  interleaved rounds time, side by side, with ratios and intervals, instead of the train step.

The inference, memory and sweep measurements are built on this point."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench import specs
from bench.core.errors import BenchError, choices


@dataclass
class Context:
    """What a measurement sees of a prepared cell: the trained (or, for a rate, warmed-up)
    learner, the data, the resolved settings, the spec and the device's synchronisation."""

    learner: Any
    data: Any
    hp: dict
    spec: Any
    sync: Callable[[], None]


@dataclass(frozen=True)
class Measurement:
    name: str
    unit: str  # of the value after the training
    kinds: tuple = ("supervised",)  # the kinds of spec it applies to
    after_training: Callable[[Context], float] | None = None  # bench run: one value, after the training
    # bench speed: ctx -> (a function that does one call's work, the work units of one call)
    rate: Callable[[Context], tuple[Callable[[], Any], int]] | None = None
    rate_unit: str = "calls/s"


_registered: dict[str, Measurement] = {}


def register(m: Measurement) -> Measurement:
    """Add a kind of measurement; its name must not be taken."""
    if not isinstance(m, Measurement):
        raise TypeError(f"register() takes a Measurement, not {type(m).__name__}")
    taken = _registered.get(m.name)
    if taken is not None and taken is not m:
        raise BenchError(f"measurement '{m.name}': a measurement of that name exists already")
    _registered[m.name] = m
    return m


def all_measurements() -> dict[str, Measurement]:
    specs.load_plugins()  # a plug-in may add measurements as it adds specs
    return dict(sorted(_registered.items()))


def get(name: str, kind: str | None = None, rate: bool = False) -> Measurement:
    """The measurement ``name``; one that does not apply to ``kind``, or (``rate``) is no rate,
    is a BenchError naming those that do."""
    have = all_measurements()
    fit = {n: m for n, m in have.items() if (kind is None or kind in m.kinds) and (m.rate or not rate)}
    if name not in fit:
        what = f" for a {kind} spec" if kind else ""
        what += " as a rate" if rate else ""
        known = "unknown measurement" if name not in have else "a measurement that does not apply"
        raise BenchError(f"{known} '{name}'{what}; choose from: {choices(fit) if fit else '(none)'}")
    return fit[name]


def after_training(ctx: Context) -> dict[str, dict]:
    """Every measurement of the spec's kind with a value after the training -> {name: {value, unit}}."""
    out = {}
    for m in all_measurements().values():
        if m.after_training is not None and ctx.spec.kind in m.kinds:
            out[m.name] = {"value": float(m.after_training(ctx)), "unit": m.unit}
    return out
