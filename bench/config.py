"""The run configuration: one frozen, typed record per cell.

The parent process builds every :class:`RunConfig` once, through :meth:`RunConfig.create`: it
parses the ``--set`` strings against the spec's settings, applies the budget, checks every
setting's range and the spec's own model constraints, and checks that the backend implements
the algorithm. A bad combination is a :class:`~bench.core.errors.BenchError` (one line, exit 2)
before any cell starts. A cell receives the record serialised (:meth:`to_json`) and rebuilds it
with :meth:`from_json` without resolving or validating anything again.

The execution axes (``mode``, ``precision``, ``engine``, ``executor``) are part of the record so
that every layer below the command line sees them the same way. ``create`` fills in the backend's
default mode (:mod:`bench.core.modes`) and checks the (backend, mode, precision) combination; a record
built directly with ``mode=None`` means that default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Mapping

from bench import specs
from bench.core import backends, modes
from bench.core.errors import BenchError
from bench.specs import registry

SCHEMA_VERSION = 1


def _frozen(value: Any) -> Any:
    """JSON lists back to tuples (tuple settings such as ``hidden``), mappings read-only."""
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides what one cell computes and how it is run."""

    algo: str
    backend: str
    device: str = "cpu"
    seed: int = 0
    budget: str = "quick"
    hparams: Mapping[str, Any] = field(default_factory=dict)  # resolved and validated
    overrides: Mapping[str, Any] = field(default_factory=dict)  # the user's --set values, parsed
    threads: int = 1  # framework threads: intra-op, inter-op and OpenMP alike
    deterministic: bool = True
    mode: str | None = None  # execution mode (eager, graph, xla, compile, ...); None: default
    precision: str = "fp32"
    engine: str | None = None  # the Keras engine; None: not a Keras cell or the default engine
    executor: str = "local"
    exclusive: bool = True  # the cell measures speed: no other cell shares its node (False: quality only, packs)
    # harness options: what is recorded alongside, not what is computed
    tensorboard: str | None = None  # directory for TensorBoard event files of the curves
    probe: bool = False  # time a CPU probe at every evaluation for load normalisation
    save_weights: str | None = None  # save the trained weights here (bench.core.pretrained checkpoint)

    def __post_init__(self):
        object.__setattr__(self, "hparams", _frozen(self.hparams))
        object.__setattr__(self, "overrides", _frozen(self.overrides))

    @classmethod
    def create(
        cls,
        algo: str,
        backend: str,
        device: str = "cpu",
        seed: int = 0,
        budget: str = "quick",
        overrides: Mapping[str, Any] | None = None,
        **options,
    ) -> "RunConfig":
        """Resolve and validate once: the only place a setting is parsed and checked."""
        spec = specs.get(algo)
        registry.check(algo, backend)
        if "xla" in (overrides or {}):
            raise BenchError("'xla' is no longer a setting: XLA is a mode (--mode xla for tf, --mode jit-on for keras)")
        hp = spec.resolve(budget, overrides)
        options["engine"] = check_engine(backend, options.get("engine"))
        name = backends.label(backend, options["engine"])  # the modes of Keras depend on its engine
        options["mode"] = modes.effective(name, options.get("mode"))
        options["precision"] = options.get("precision") or modes.DEFAULT_PRECISION
        modes.check(algo, spec.module, name, device, options["mode"], options["precision"])
        if not modes.deterministic(name, options["mode"]):  # recorded so on the card
            options["deterministic"] = False
        given = {k: hp[k] for k in (overrides or {})}
        if options.get("threads") is None:
            options["threads"] = spec.threads
        if int(options["threads"]) < 1:
            raise BenchError(f"threads must be at least 1, got {options['threads']}")
        if seed < 0:
            raise BenchError(f"seed must be 0 or more, got {seed}")
        return cls(algo, backend, device, seed, budget, hp, given, **options)

    @property
    def spec(self) -> specs.Spec:
        return specs.get(self.algo)

    @property
    def hp(self) -> dict:
        """A mutable copy of the resolved settings, for the learner and the driver."""
        return _plain_top(self.hparams)

    @property
    def name(self) -> str:
        """The backend's name on its engine (``keras[jax]``), as results, history and report show it."""
        return backends.label(self.backend, self.engine)

    @property
    def label(self) -> str:
        axes = "" if self.is_default_axes else f"/{self.mode}/{self.precision}"
        return f"{self.algo}/{self.name}/{self.device}{axes}/seed{self.seed}"

    @property
    def is_default_axes(self) -> bool:
        return modes.effective(self.name, self.mode) == modes.default(self.name) and self.precision == "fp32"

    def to_dict(self) -> dict:
        out = {f.name: _plain(getattr(self, f.name)) for f in fields(self)}
        out["schema"] = SCHEMA_VERSION
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RunConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_json(cls, text: str) -> "RunConfig":
        return cls.from_dict(json.loads(text))


def check_engine(backend: str, engine: str | None) -> str | None:
    """The Keras engine of a cell: None for the default (TensorFlow) and for other backends; an
    unknown engine, one whose packages are missing, or an engine for a backend other than Keras is
    a BenchError."""
    if engine is None:
        return None
    if backend != "keras":
        raise BenchError(f"an engine applies to the keras backend only, not to '{backend}'")
    backends.check_engine(engine)
    return None if engine == backends.DEFAULT_ENGINE else engine


def _plain_top(mapping: Mapping[str, Any]) -> dict:
    """A dict whose tuple settings stay tuples (what the specs and learners expect)."""
    return {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in mapping.items()}
