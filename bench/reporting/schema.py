"""Typed result records and their JSON schema.

One run is stored as one JSON object (:func:`bench.reporting.store.save`). Its parts are typed here:

* :class:`Result`      one cell's outcome (re-exported by :mod:`bench.reporting.store`);
* :class:`CurvePoint`  one evaluation of the learning curve;
* :class:`Throughput`  the speed of every timed round and their spread;
* :class:`ConfigCard`  library versions, device, threads, compile mode, commit and the
                       :class:`Machine` every number carries.

**Schema versions.** Version 2 writes ``"schema": 2`` and the spec's ``kind`` into the file.
Version 1 (no ``"schema"`` key: every file recorded before) holds the same fields; reading one
infers the kind from the record, so both versions are read as they are and nothing on disk needs
migrating. ``to_dict`` returns the on-disk layout: a version-1 file read and written again differs
only by ``schema`` and ``kind``. A file of a newer schema than this reader knows is refused.

**The x-axis of a learning curve** is declared once per kind of spec in :data:`X_AXES`
(supervised: epochs; RL: environment steps, which the RL driver counts as its ``step``), and the
report, the TensorBoard writer and :mod:`bench.reporting.curves` all read it from there.

Every record also reads as the JSON object it is stored as (``point["val_acc"]``,
``result.throughput["median"]``, ``result.card["machine"]["fingerprint"]``): a read-only mapping
view, with raw values (a NaN loss stays a float), for code written against the plain dicts.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Callable, ClassVar

SCHEMA_VERSION = 2
# "skipped": the cell did not run because its dataset is absent and cannot be downloaded here;
# "lost": the worker or node running the cell died (an executor on a cluster retries it once)
STATUSES = ("ok", "failed", "diverged", "timeout", "crashed", "skipped", "lost")
KINDS = ("supervised", "rl")


class RecordError(ValueError):
    """A record that does not fit the schema (the message says which part)."""


def clean(obj: Any) -> Any:
    """JSON-safe: records to their on-disk dicts, numpy scalars to Python, NaN/inf to the strings
    ``"nan"``, ``"inf"``, ``"-inf"`` (which the readers turn back into floats)."""
    if isinstance(obj, _Record):
        obj = obj._flat()
    if isinstance(obj, Mapping):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "ndim", 1) == 0:
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    return obj


def _num(value: Any) -> Any:
    """The inverse of :func:`clean` for one value: ``"nan"``, ``"inf"``, ``"-inf"`` -> float."""
    return float(value) if isinstance(value, str) and value in ("nan", "inf", "-inf") else value


def _nums(values) -> list:
    return [_num(v) for v in values]


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _table(data: Any, what: str) -> Mapping:
    """``data`` as a mapping (None: empty); anything else is a RecordError naming ``what``."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise RecordError(f"partial record ({what} is not a table)")
    return data


class _Record(Mapping):
    """Read-only mapping view of a record's on-disk layout; ``to_dict`` is its JSON form."""

    def _flat(self) -> dict:
        raise NotImplementedError

    def to_dict(self) -> dict:
        return clean(self._flat())

    def __getitem__(self, key):
        return self._flat()[key]

    def __iter__(self):
        return iter(self._flat())

    def __len__(self):
        return len(self._flat())


def _declared(cls, *, skip: tuple = ()) -> tuple:
    return tuple(f.name for f in fields(cls) if f.name not in skip)


# learning curves -------------------------------------------------------------------------------
@dataclass(eq=True)
class CurvePoint(_Record):
    """One evaluation: where training stood, the round's mean loss and the spec's metrics."""

    step: int = 0  # train steps so far (supervised) or environment steps so far (rl)
    train_time_s: float | None = None  # training time so far, compile included, evaluation excluded
    loss: float | None = None  # mean training loss since the previous evaluation (None before any step)
    epoch: int | None = None  # supervised: epochs done
    samples: int | None = None  # supervised: training samples seen
    episodes: int | None = None  # rl: training episodes finished
    updates: int | None = None  # rl: gradient updates made
    train_return: float | None = None  # rl: mean return of the last 10 training episodes
    metrics: dict[str, Any] = field(default_factory=dict)  # what the spec's evaluate returned

    _SUPERVISED: ClassVar[tuple] = ("epoch", "samples")
    _RL: ClassVar[tuple] = ("episodes", "updates", "train_return")

    @classmethod
    def from_dict(cls, data: Any) -> "CurvePoint":
        """A point from its flat on-disk form (or a point as it is): the declared keys become
        fields, every other key is a metric."""
        if isinstance(data, CurvePoint):
            return data
        data = _table(data, "a curve point")
        names = _declared(cls, skip=("metrics",))
        return cls(
            **{k: _num(v) for k, v in data.items() if k in names},
            metrics={str(k): _num(v) for k, v in data.items() if k not in names},
        )

    def value(self, name: str) -> Any:
        """The named scalar of the point: ``loss``, ``train_return`` or one of the spec's metrics."""
        return getattr(self, name) if name in ("loss", "train_return") else self.metrics.get(name)

    def _flat(self) -> dict:
        out = {"step": self.step, "train_time_s": self.train_time_s, "loss": self.loss}
        out.update({k: getattr(self, k) for k in self._SUPERVISED if getattr(self, k) is not None})
        if self.episodes is not None or self.updates is not None:  # the RL driver writes all three
            out.update({k: getattr(self, k) for k in self._RL})
        elif self.train_return is not None:
            out["train_return"] = self.train_return
        out.update(self.metrics)
        return out


@dataclass(frozen=True)
class XAxis:
    """The x-axis of a kind of spec's learning curves: the :class:`CurvePoint` field it reads."""

    name: str  # what the axis is called in tables and documentation
    label: str  # the axis label of a plot
    field: str  # the CurvePoint attribute holding it
    plural: str  # "epochs 2-6" in a sentence

    def of(self, point: CurvePoint) -> int | float | None:
        value = getattr(point, self.field)
        return value if is_number(value) else None


X_AXES = {
    "supervised": XAxis("epoch", "epoch", "epoch", "epochs"),
    "rl": XAxis("env_steps", "environment steps", "step", "env steps"),  # the RL driver's steps are env steps
    "prediction": XAxis("episodes", "episodes", "episodes", "episodes"),  # bench.train.value
}
STEP_AXIS = XAxis("step", "step", "step", "steps")  # a record whose kind is unknown (no curve to tell)


def x_axis(kind: str | None) -> XAxis:
    return X_AXES.get(kind, STEP_AXIS)


# throughput --------------------------------------------------------------------------------------
def _finite(values) -> list[float]:
    return [float(v) for v in values if is_number(v) and math.isfinite(v)]


@dataclass(eq=True)
class Throughput(_Record):
    """The speed of every timed round (``values``, in ``unit``) and their spread; with the CPU
    probe (``RunConfig(probe=True)``), the probe readings and the load-normalised rounds."""

    unit: str | None = None  # "samples/s" or "env steps/s"
    median: float | None = None
    p25: float | None = None
    p75: float | None = None
    min: float | None = None
    max: float | None = None
    n: int | None = None
    values: list[float] = field(default_factory=list)  # one per timed round
    probe: list[float] | None = None  # CPU probe speed at every evaluation (bench.core.probe)
    normalized: list[float] | None = None  # each round's speed divided by the probe around it
    # each round's harness overhead: the share of its timed loop spent outside the train step
    # (bench.train.tracking.timed_loop); absent where the driver does not measure it
    overhead: list[float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # keys this version does not declare

    _LISTS: ClassVar[tuple] = ("values", "probe", "normalized", "overhead")

    @classmethod
    def from_dict(cls, data: Any) -> "Throughput":
        if isinstance(data, Throughput):
            return data
        data = _table(data, "throughput")
        names = _declared(cls, skip=("extra",))
        kw = {}
        for k, v in data.items():
            if k not in names:
                continue
            if k in cls._LISTS and v is not None:
                if not isinstance(v, (list, tuple)):
                    raise RecordError(f"partial record (throughput {k} is not a list)")
                v = _nums(v)
            kw[k] = _num(v)
        return cls(**kw, extra={k: v for k, v in data.items() if k not in names})

    @property
    def empty(self) -> bool:
        return self.unit is None and self.median is None and not self.values and not self.extra

    def rounds(self) -> list[float]:
        """The finite per-round speeds; a record that kept only its median gives that."""
        got = _finite(self.values)
        return got if got else _finite([self.median])

    def normalized_rounds(self) -> list[float]:
        return _finite(self.normalized or ())

    def _flat(self) -> dict:
        if self.empty:
            return {}
        out = {k: getattr(self, k) for k in ("unit", "median", "p25", "p75", "min", "max", "n", "values")}
        out.update({k: getattr(self, k) for k in ("probe", "normalized", "overhead") if getattr(self, k) is not None})
        out.update(self.extra)
        return out


# config card -------------------------------------------------------------------------------------
def _omit_none(record, names) -> dict:
    return {k: getattr(record, k) for k in names if getattr(record, k) is not None}


@dataclass(eq=True)
class Machine(_Record):
    """The machine a result was measured on; ``fingerprint`` says whether two are comparable."""

    hostname: str | None = None
    platform: str | None = None
    python: str | None = None
    cpu: str | None = None
    cores: int | None = None
    memory_gib: float | None = None
    fingerprint: str | None = None  # hash of cpu, cores, memory and Python (not the host name)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any) -> "Machine":
        if isinstance(data, Machine):
            return data
        data = _table(data, "the card's machine")
        names = _declared(cls, skip=("extra",))
        return cls(
            **{k: v for k, v in data.items() if k in names}, extra={k: v for k, v in data.items() if k not in names}
        )

    def describe(self) -> str:
        return f"{self.cpu or '?'}, {self.cores or '?'} cores, {self.memory_gib or '?'} GiB"

    def _flat(self) -> dict:
        return {**_omit_none(self, _declared(Machine, skip=("extra",))), **self.extra}


@dataclass(eq=True)
class ConfigCard(_Record):
    """The config card every result carries (built by :func:`bench.core.card.config_card`)."""

    backend: str | None = None
    versions: dict[str, str] = field(default_factory=dict)  # library -> version
    dtype: str | None = None
    threads: int | None = None
    deterministic: bool | None = None
    device_name: str | None = None
    compile: str | None = None  # the learner's compile mode (Learner.describe)
    commit: str | None = None  # git commit of the harness
    dirty: bool | None = None  # uncommitted changes to tracked files
    machine: Machine | None = None
    source: str | None = None  # "pytest-benchmark" for results imported from its JSON
    # the machine's load during the cell (bench.core.machine_load.summarise): other processes' busy cores
    load: dict[str, Any] | None = None
    # timed steps slower than STALL_FACTOR x their round's median (retraces, stalls): count, worst
    stalls: dict[str, Any] | None = None
    # where the cell ran (bench.execute.cell_process): executor, node, and whether no other cell shared the node
    placement: dict[str, Any] | None = None
    facts: dict[str, Any] = field(default_factory=dict)  # what else a backend or learner reports

    @classmethod
    def from_dict(cls, data: Any) -> "ConfigCard":
        if isinstance(data, ConfigCard):
            return data
        data = _table(data, "the config card")
        names = _declared(cls, skip=("facts",))
        kw = {k: v for k, v in data.items() if k in names}
        if kw.get("machine") is not None:
            kw["machine"] = Machine.from_dict(kw["machine"])
        if kw.get("versions") is None:
            kw.pop("versions", None)
        return cls(**kw, facts={k: v for k, v in data.items() if k not in names})

    @property
    def shared(self) -> bool:
        """True when the cell may have shared its node with other cells (a quality-only run, packed);
        a card without ``placement`` (every run before it was recorded) ran alone."""
        return bool(self.placement) and self.placement.get("exclusive") is False

    @property
    def empty(self) -> bool:
        """True for a result that never got a card (a cell that crashed before it was made)."""
        return not self._flat()

    def _flat(self) -> dict:
        out = _omit_none(self, _declared(ConfigCard, skip=("facts", "versions", "machine")))
        if self.versions:
            out["versions"] = dict(self.versions)
        if self.machine is not None:
            out["machine"] = self.machine._flat()
        out.update(self.facts)
        return out


# the result ------------------------------------------------------------------------------------
def _curve(value: Any) -> list[CurvePoint]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise RecordError("partial record (the curve is not a list)")
    return [CurvePoint.from_dict(p) for p in value]


# typed fields accept their on-disk form, on construction and on assignment
_COERCE: dict[str, Callable[[Any], Any]] = {
    "throughput": Throughput.from_dict,
    "card": ConfigCard.from_dict,
    "curve": _curve,
}
_FLOATS = ("target", "time_to_target_s", "compile_s", "train_time_s", "wall_s")


@dataclass
class Result:
    """One cell (algorithm x backend x device x seed x budget) and what it measured."""

    algo: str
    backend: str
    device: str
    seed: int
    budget: str
    status: str = "ok"  # one of STATUSES
    error: str | None = None
    log: str | None = None  # traceback or stderr tail of a failed, crashed or timed-out cell
    metric: str | None = None  # name of the spec's primary quality metric
    metrics: dict = field(default_factory=dict)  # final quality metrics
    target: float | None = None
    target_reached: bool = False
    time_to_target_s: float | None = None  # training wall time incl. compile, at first hit
    steps_to_target: int | None = None
    throughput: Throughput = field(default_factory=Throughput)
    compile_s: float | None = None  # the first train step (trace/compile), excluded above
    train_time_s: float | None = None  # all train steps, excluding evaluation
    wall_s: float | None = None  # the whole cell, set-up and evaluation included
    steps: int = 0
    curve: list[CurvePoint] = field(default_factory=list)
    dataset: str | None = None
    hparams: dict = field(default_factory=dict)
    overrides: dict = field(default_factory=dict)
    card: ConfigCard = field(default_factory=ConfigCard)
    run_id: str = field(default_factory=lambda: time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:8])
    started_at: float = field(default_factory=time.time)
    kind: str | None = None  # the spec's kind ("supervised", "rl"); None when nothing tells
    measurements: dict = field(default_factory=dict)  # {name: {value, unit}}: bench.train.measurements

    schema: ClassVar[int] = SCHEMA_VERSION

    def __post_init__(self):
        if self.kind is None:  # a record made without it (version 1, or a test's): read it off the record
            self.kind = infer_kind(self)

    def __setattr__(self, name, value):
        coerce = _COERCE.get(name)
        object.__setattr__(self, name, coerce(value) if coerce else value)

    @property
    def cell(self) -> tuple:
        """The cell this result is an attempt at (a cell lost on a cluster has a second attempt)."""
        return (self.algo, self.backend, self.device, self.seed, self.budget, repr(sorted(self.overrides.items())))

    @property
    def value(self) -> float | None:
        """The final value of the spec's primary metric."""
        return self.metrics.get(self.metric) if self.metric else None

    @property
    def x_axis(self) -> XAxis:
        return x_axis(self.kind)

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if not out["measurements"]:  # a record without any reads as before
            del out["measurements"]
        out["schema"] = SCHEMA_VERSION
        return clean(out)

    @classmethod
    def from_dict(cls, data: Mapping) -> "Result":
        """A Result from its JSON object, schema version 1 or 2. A missing required field is a
        TypeError; a part that does not fit the schema, or a newer schema, a RecordError."""
        version = data.get("schema", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version > SCHEMA_VERSION:
            raise RecordError(f"result schema {version!r} is newer than this version of bench reads ({SCHEMA_VERSION})")
        names = {f.name for f in fields(cls)}
        kw = {k: v for k, v in data.items() if k in names}
        for k in _FLOATS:
            if k in kw:
                kw[k] = _num(kw[k])
        if isinstance(kw.get("metrics"), Mapping):
            kw["metrics"] = {k: _num(v) for k, v in kw["metrics"].items()}
        return cls(**kw)


def infer_kind(r: Result) -> str | None:
    """The kind of spec a result came from, read off the record itself: an RL run counts env
    steps/s and its curve points carry episodes; a supervised run's curve points carry epochs."""
    if r.throughput.unit == "env steps/s" or any(p.episodes is not None for p in r.curve):
        return "rl"
    if any(p.epoch is not None for p in r.curve):
        return "supervised"
    return None
