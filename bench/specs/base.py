"""The workload spec: the single source of truth that every backend obeys.

A spec names the architecture's settings (``hparams``), the data, the quality metric and its
target, and the budgets. A budget is a set of hyperparameter overrides (``quick`` for CI and
smoke runs, ``full`` for the figures we report). Users override any hyperparameter with
``--set key=value``; unknown keys and values of the wrong type are rejected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from bench.core.errors import BenchError, choices

BUDGETS = ("quick", "full")

# The optimizer every spec trains with unless it says otherwise: Adam as Keras defines it, with
# Keras's default constants written out, so that no backend's own default decides a result.
# ``optimizer``: "adam" is that formula in every backend; "adam-native" is each framework's own
# Adam (torch.optim.Adam adds epsilon after the bias correction); "sgd" is plain SGD at ``lr``.
KERAS_ADAM = dict(optimizer="adam", adam_beta1=0.9, adam_beta2=0.999, adam_epsilon=1e-7)
OPTIMIZERS = ("adam", "adam-native", "sgd")
# Keras's default initialisation of conv/dense kernels and BatchNorm, written out (bench.core.initial_weights
# applies it), for the specs whose documents relied on those defaults
KERAS_INIT = {
    "*kernel": "glorot_uniform",
    "*bias": "zeros",
    "*gamma": "ones",
    "*beta": "zeros",
    "*moving_mean": "zeros",
    "*moving_variance": "ones",
}


@dataclass(frozen=True)
class Spec:
    name: str
    title: str
    kind: str  # which driver trains it: "supervised" (bench.train.supervised) or "rl"
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
    # (see bench.core.initial_weights); patterns are tried in order, then the defaults in bench.core.initial_weights.
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
    # hp -> None: the model's own constraints across settings (raise BenchError naming the
    # setting and what it may be); called once, by resolve, after the range checks
    validate: Callable[[Mapping[str, Any]], None] | None = None
    # framework threads when the user gives no --threads: one, as CleanRL's CPU benchmarks run,
    # for the small nets and the RL loops (a thread pool larger than the free cores collapses
    # when the machine is busy); the same count goes to every backend (intra-op, inter-op, OpenMP)
    threads: int = 1
    # hp -> the datasets (bench.core.data.base.Need) a cell with these settings reads from files; the
    # run checks them before any cell starts (bench.core.data.catalog). None: it reads no file
    datasets: Callable[[Mapping[str, Any]], tuple] | None = None

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
                raise BenchError(f"unknown setting '{key}' for {self.name}; valid settings: {choices(hp)}")
            hp[key] = parse_value(key, raw, hp[key], self.name)
        check_ranges(hp, self.name)
        if self.validate is not None:
            self.validate(hp)
        return hp

    def reached(self, value: float) -> bool:
        if self.target is None or value is None:
            return False
        return value >= self.target if self.higher_is_better else value <= self.target


# Ranges every spec's settings obey, by name: (low, high, low inclusive, high inclusive); a
# tuple setting (``hidden=(64, 64)``) is checked item by item. A setting a spec does not have is
# not checked; a spec's own cross-setting constraints go in ``Spec.validate``.
INF = float("inf")
AT_LEAST_1 = (1, INF, True, False)
RANGES: dict[str, tuple] = {
    "epochs": AT_LEAST_1,
    "batch_size": AT_LEAST_1,
    "eval_every": AT_LEAST_1,
    "total_steps": AT_LEAST_1,
    "eval_episodes": AT_LEAST_1,
    "replay_size": AT_LEAST_1,
    "train_every": AT_LEAST_1,
    "target_update_every": AT_LEAST_1,
    "n_train": AT_LEAST_1,
    "n_test": AT_LEAST_1,
    "n_eval": AT_LEAST_1,
    "n_classes": AT_LEAST_1,
    "kernel_size": AT_LEAST_1,
    "pool": AT_LEAST_1,
    "pool_size": AT_LEAST_1,
    "hidden": AT_LEAST_1,
    "units": AT_LEAST_1,
    "blocks": (0, INF, True, False),
    "learn_start": (0, INF, True, False),
    "lr": (0, INF, False, False),
    "lr_decay": (0, INF, False, False),
    "dropout": (0, 1, True, False),
    "bn_momentum": (0, 1, True, False),
    "bn_epsilon": (0, INF, False, False),
    "head_units": (0, INF, True, False),
    "adam_beta1": (0, 1, True, False),
    "adam_beta2": (0, 1, True, False),
    "adam_epsilon": (0, INF, False, False),
    "gamma": (0, 1, False, True),
    "l2": (0, INF, True, False),
    "tau": (0, 1, False, True),
    "grad_clip_norm": (0, INF, True, False),
    "reward_noise_std": (0, INF, True, False),
    "eps_min": (0, 1, True, True),
    "eps_max": (0, 1, True, True),
    "per_alpha": (0, INF, True, False),
    "per_beta0": (0, 1, True, True),
    "per_eps": (0, INF, False, False),
    "obs_shape": AT_LEAST_1,
    "n_actions": AT_LEAST_1,
    "obs_scale": (0, INF, False, False),
    "eps_decay": (0, INF, True, False),
    "eps_steps": (0, INF, True, False),
    "huber_delta": (0, INF, False, False),
    "max_episode_steps": (0, INF, True, False),
    "eval_max_steps": (0, INF, True, False),
}
# settings whose name ends so are layer widths: at least 1
WIDTH_SUFFIXES = ("_units", "_filters")


def _range_for(key: str):
    if key in RANGES:
        return RANGES[key]
    if key.endswith(WIDTH_SUFFIXES):
        return AT_LEAST_1
    return None


def _describe(low, high, low_in, high_in) -> str:
    if high == INF:
        return f"{'>=' if low_in else '>'} {low:g}"
    return f"in {'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}"


def check_ranges(hp: Mapping[str, Any], algo: str) -> None:
    """Every setting with a known range is finite and inside it, else one BenchError line."""
    if "optimizer" in hp and hp["optimizer"] not in OPTIMIZERS:
        raise BenchError(f"{algo} setting 'optimizer' = {hp['optimizer']!r}; choose from: {choices(OPTIMIZERS)}")
    for key, value in hp.items():
        bounds = _range_for(key)
        if bounds is None or value is None or isinstance(value, (bool, str)):
            continue
        items = value if isinstance(value, tuple) else (value,)
        low, high, low_in, high_in = bounds
        for item in items:
            if isinstance(item, (bool, str)) or not isinstance(item, (int, float)):
                continue
            ok = (
                math.isfinite(item)
                and (item >= low if low_in else item > low)
                and (high == INF or (item <= high if high_in else item < high))
            )
            if not ok:
                raise BenchError(f"{algo} setting '{key}' = {value!r} is out of range: it must be {_describe(*bounds)}")


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
