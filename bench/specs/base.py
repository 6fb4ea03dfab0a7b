"""The workload spec: the single source of truth that every backend obeys.

A spec names the architecture's settings (``hparams``), the data, the quality metric and its
target, and the budgets. A budget is a set of hyperparameter overrides (``quick`` for CI and
smoke runs, ``full`` for the figures we report). Users override any hyperparameter with
``--set key=value``; unknown keys and values of the wrong type are rejected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
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
# Keras's BatchNormalization defaults, written out: momentum 0.99 (the moving statistics keep 0.99
# of their old value; PyTorch's momentum is 1 - 0.99 = 0.01) and epsilon 1e-3 (PyTorch's default is 1e-5)
KERAS_BATCHNORM = dict(bn_momentum=0.99, bn_epsilon=1e-3)


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


@dataclass(frozen=True)
class ByName:
    """A :class:`Family` field that depends on the member's name: ``make(name)`` is its value
    (e.g. a ``validate`` hook whose messages name the spec)."""

    make: Callable[[str], Any]


MERGED_FIELDS = ("hparams", "tolerances", "budgets")


class Family:
    """What a family of specs shares, written once: any :class:`Spec` field but ``name`` and
    ``title``. :meth:`spec` declares one member, stating only what differs from the family:

    * ``hparams``: settings over the family's, key by key (a new setting is added after them);
    * ``tolerances``: over the family's, key by key; ``None`` drops one the member does not check;
    * ``budgets``: each budget named replaces the family's budget of that name (a budget is one
      set of overrides), the others are the family's;
    * any other field replaces the family's.

    :meth:`extend` makes a sub-family by the same rules. A field given as :class:`ByName` is
    made from the member's name."""

    def __init__(self, **defaults: Any):
        unknown = set(defaults) - _FAMILY_FIELDS
        if unknown:
            raise TypeError(f"Family() got fields that Spec does not have: {sorted(unknown)}")
        self._defaults = defaults

    def __getattr__(self, key: str) -> Any:  # family.hparams, family.tolerances, ...
        defaults = self.__dict__.get("_defaults", {})
        if key in defaults:
            return defaults[key]
        raise AttributeError(f"this Family sets no field '{key}'")

    def extend(self, **changes: Any) -> Family:
        return Family(**_declared(self._defaults, changes))

    def spec(self, name: str, title: str, **changes: Any) -> Spec:
        declared = _declared(self._defaults, changes)
        return Spec(
            name=name,
            title=title,
            **{k: v.make(name) if isinstance(v, ByName) else v for k, v in declared.items()},
        )


def _declared(defaults: Mapping[str, Any], changes: Mapping[str, Any]) -> dict:
    out = dict(defaults, **changes)
    for key in MERGED_FIELDS:
        if key in out:
            out[key] = {**defaults.get(key, {}), **changes.get(key, {})}
    if "tolerances" in out:
        out["tolerances"] = {k: v for k, v in out["tolerances"].items() if v is not None}
    if "budgets" in out:  # in the order of BUDGETS
        out["budgets"] = dict(sorted(out["budgets"].items(), key=lambda kv: _budget_rank(kv[0])))
    return out


def _budget_rank(budget: str) -> int:
    return BUDGETS.index(budget) if budget in BUDGETS else len(BUDGETS)


_FAMILY_FIELDS = {f.name for f in fields(Spec)} - {"name", "title"}
# the root of the supervised families (bench.train.supervised trains them)
SUPERVISED = Family(kind="supervised")


# Ranges every spec's settings obey, by name: (low, high, low inclusive, high inclusive); a
# tuple setting (``hidden=(64, 64)``) is checked item by item. A setting a spec does not have is
# not checked; a spec's own cross-setting constraints go in ``Spec.validate``.
INF = float("inf")
AT_LEAST_1 = (1, INF, True, False)
NON_NEGATIVE = (0, INF, True, False)
POSITIVE = (0, INF, False, False)
FRACTION = (0, 1, True, False)  # [0, 1)
PROBABILITY = (0, 1, True, True)  # [0, 1]
RANGES: dict[str, tuple] = {
    # counts of the training loop, the data and the net: at least 1
    **dict.fromkeys(("epochs", "batch_size", "eval_every", "total_steps", "eval_episodes", "train_every"), AT_LEAST_1),
    **dict.fromkeys(("replay_size", "target_update_every", "n_train", "n_test", "n_eval", "n_classes"), AT_LEAST_1),
    **dict.fromkeys(("kernel_size", "pool", "pool_size", "hidden", "units", "obs_shape", "n_actions"), AT_LEAST_1),
    **dict.fromkeys(("blocks", "learn_start", "head_units", "l2", "grad_clip_norm", "reward_noise_std"), NON_NEGATIVE),
    **dict.fromkeys(("per_alpha", "eps_decay", "eps_steps", "max_episode_steps", "eval_max_steps"), NON_NEGATIVE),
    **dict.fromkeys(("lr", "lr_decay", "bn_epsilon", "adam_epsilon", "per_eps", "obs_scale", "huber_delta"), POSITIVE),
    **dict.fromkeys(("dropout", "bn_momentum", "adam_beta1", "adam_beta2"), FRACTION),
    **dict.fromkeys(("eps_min", "eps_max", "per_beta0"), PROBABILITY),
    "gamma": (0, 1, False, True),
    "tau": (0, 1, False, True),
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
