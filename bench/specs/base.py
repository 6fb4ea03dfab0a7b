"""The workload spec: the single source of truth that every backend obeys.

A spec names the architecture's settings (``hparams``), the data, the quality metric and its
target, and the budgets. A budget is a set of hyperparameter overrides (``quick`` for CI and
smoke runs, ``full`` for the figures we report). Users override any hyperparameter with
``--set key=value``; unknown keys and values of the wrong type are rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from bench.errors import BenchError, choices

BUDGETS = ("quick", "full")


@dataclass(frozen=True)
class Spec:
    name: str
    title: str
    kind: str  # which driver trains it: "supervised" (bench.drivers.supervised) or "rl"
    source: str  # where the algorithm and its reference settings come from
    hparams: Mapping[str, Any]
    budgets: Mapping[str, Mapping[str, Any]]
    metric: str  # the primary quality metric, one of the keys ``evaluate`` returns
    higher_is_better: bool
    load_data: Callable[[Mapping[str, Any], int], Any]  # (hparams, seed) -> dataset
    evaluate: Callable[[Any, Any, Mapping[str, Any]], dict]  # (learner, data, hp) -> metrics
    target: float | None = None  # time-to-target is reported when the metric reaches this
    tolerances: Mapping[str, float] = field(default_factory=dict)
    # canonical weight initialisation: glob pattern on the canonical weight name -> initializer
    # (see bench.init); patterns are tried in order, then the defaults in bench.init.
    init: Mapping[str, Any] = field(default_factory=dict)
    notes: str = ""
    impl: str | None = None  # module name under impls/<backend>/ (default: the spec's name)
    # False for specs too long for the default selection of ``bench run`` (they run when named)
    in_default_run: bool = True
    # hp -> (canonical weights, description): pretrained weights set over the initialisation
    # (e.g. a transfer-learning backbone); the description is reported with every result
    pretrained: Callable[[Mapping[str, Any]], tuple[dict, str]] | None = None
    # pytest-benchmark (rounds, iterations) when $BENCH_ROUNDS / $BENCH_ITERATIONS are not set
    bench_rounds: tuple[int, int] = (30, 10)

    @property
    def module(self) -> str:
        return self.impl or self.name

    def resolve(self, budget: str = "quick", overrides: Mapping[str, str] | None = None) -> dict:
        """Hyperparameters for a budget, with ``--set`` overrides (strings) parsed and checked."""
        if budget not in self.budgets:
            raise BenchError(f"unknown budget '{budget}' for {self.name}; choose from: {choices(self.budgets)}")
        hp = dict(self.hparams)
        hp.update(self.budgets[budget])
        for key, raw in (overrides or {}).items():
            if key not in hp:
                raise BenchError(
                    f"unknown setting '{key}' for {self.name}; valid settings: {choices(hp)}"
                )
            hp[key] = parse_value(key, raw, hp[key], self.name)
        return hp

    def reached(self, value: float) -> bool:
        if self.target is None or value is None:
            return False
        return value >= self.target if self.higher_is_better else value <= self.target


def parse_value(key: str, raw: Any, default: Any, algo: str) -> Any:
    """Parse an override string to the type of the setting's default."""
    if not isinstance(raw, str):
        return raw
    kind = type(default)
    try:
        if isinstance(default, bool):
            low = raw.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if default is None:
            return None if raw.lower() == "none" else _number_or_str(raw)
        if isinstance(default, tuple):  # "64,64" -> (64, 64); "" or "()" -> ()
            items = [x.strip() for x in raw.strip("()[] ").split(",") if x.strip()]
            item_kind = type(default[0]) if default else _number_or_str
            return tuple(item_kind(x) for x in items)
        return kind(raw)
    except ValueError:
        raise BenchError(
            f"bad value '{raw}' for {algo} setting '{key}': expected {kind.__name__} (default {default!r})"
        ) from None


def _number_or_str(raw: str):
    for conv in (int, float):
        try:
            return conv(raw)
        except ValueError:
            pass
    return raw


def parse_overrides(items) -> dict[str, str]:
    """``["lr=0.1", "epochs=3"]`` -> ``{"lr": "0.1", "epochs": "3"}``; malformed items are errors."""
    out: dict[str, str] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or not value.strip() or not key.replace("_", "").isalnum():
            raise BenchError(f"malformed --set '{item}': expected key=value, for example --set lr=0.01")
        out[key] = value.strip()
    return out
