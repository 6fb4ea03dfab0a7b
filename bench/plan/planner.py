"""The planner: a :class:`Selection` (what the user or a command asked for) -> the cells, every
one a resolved, validated :class:`~bench.config.RunConfig`. Every command that runs cells builds
them here (``bench run`` and its tour, ``bench speed``, ``bench gate``, ``bench pretrain``), and
any bad input is one BenchError before a cell starts."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from bench import specs
from bench.config import RunConfig
from bench.core import backends, modes
from bench.core.errors import BenchError, choices
from bench.core.paths import absolute, writable_dir
from bench.plan import tour
from bench.specs import registry


@dataclass(frozen=True)
class Selection:
    """What to run. Names are as given on the command line (repeatable, comma-separated);
    ``None``: not given. No algorithm and not ``every``: the quick tour."""

    algos: tuple | None = None
    every: bool = False  # --all: every algorithm in the default run
    backends: tuple | None = None
    engines: tuple | None = None
    device: str = "cpu"
    seed: int = 0
    seeds: int = 1
    budget: str = "quick"
    modes: tuple | None = None
    precisions: tuple | None = None
    settings: tuple = ()  # --set KEY=VALUE, as given
    per_algo: Mapping = field(default_factory=dict)  # settings beneath --set, per algorithm (the gate's plan)
    threads: int | None = None
    tensorboard: str | None = None
    executor: str = "local"
    quality_only: bool = False  # cells may share a machine: their speed is not compared
    probe: bool = False  # a CPU probe at every evaluation (the gate's load normalisation)
    save_weights: str | None = None  # where the trained weights go (bench pretrain)

    @property
    def tour(self) -> bool:
        return not self.every and self.algos is None


def names(values, what: str, notes: list) -> list[str] | None:
    """Names from repeatable, comma-separated options; None when the option was not given. An
    option given with nothing in it is refused; a name given twice runs once, with a word."""
    if values is None:
        return None
    named = [v.strip() for raw in values for v in raw.split(",") if v.strip()]
    if not named:
        raise BenchError(f"{what} is empty: name at least one (see 'bench list'), or leave {what} out")
    twice = [n for n, c in Counter(named).items() if c > 1]
    if twice:
        notes.append(f"{what} names {', '.join(twice)} more than once; each runs once")
    return list(dict.fromkeys(named))


def split_settings(items, notes: list) -> dict[str, str]:
    """``--set`` items -> {key: value as given}, each item split once (Spec's parse_overrides, whose
    error names a malformed one); a key given twice with different values is refused, twice alike
    counts once."""
    out: dict[str, str] = {}
    counts: Counter = Counter()
    for item in items or ():
        ((key, value),) = specs.parse_overrides([item]).items()
        if key in out and out[key] != value:
            raise BenchError(f"--set {key} is given twice with different values ({out[key]}, {value}); give it once")
        out[key] = value
        counts[key] += 1
    for key, n in counts.items():
        if n > 1:
            notes.append(f"--set {key}={out[key]} is given {n} times; it counts once")
    return out


def cells(sel: Selection, notes: list | None = None, place=None) -> list[RunConfig]:
    """Every cell of the selection. ``notes`` collects what was tidied up (names given twice).
    ``place``: the executor, whose machines' devices count (default: this machine's)."""
    notes = [] if notes is None else notes
    if sel.every and sel.algos is not None:
        raise BenchError("--all runs every algorithm; give either --all or --algo, not both")
    if sel.budget not in specs.BUDGETS:
        raise BenchError(f"unknown budget '{sel.budget}'; choose from: {choices(specs.BUDGETS)}")
    named = names(sel.algos, "--algo", notes)
    if named is not None:
        algos = named
    elif sel.tour:
        algos = list(tour.ALGOS)
    else:
        algos = [n for n, s in specs.all_specs().items() if s.in_default_run]
    for algo in algos:
        specs.get(algo)
    asked = names(sel.backends, "--backend", notes)
    wanted = asked if asked is not None else list(tour.BACKENDS if sel.tour else backends.BACKENDS)
    pool = backends.BACKENDS + backends.REFERENCE_BACKENDS
    for b in wanted:
        if b not in pool:
            raise BenchError(f"unknown backend '{b}'; choose from: {choices(pool)}")
    engines = names(sel.engines, "--engine", notes)
    if engines is not None and "keras" not in wanted:
        raise BenchError("--engine chooses the keras backend's engine: add --backend keras (or leave --backend out)")
    for engine in engines or ():
        backends.check_engine(engine)
    if named is None:  # the tour or --all, narrowed by --backend: the algorithms that have one of them
        algos = [a for a in algos if any(registry.has_impl(a, b) for b in wanted)]
    board = sel.tensorboard
    if board is not None:  # the cells run elsewhere (cwd = the clone): the path the user meant, made absolute
        board = str(absolute(writable_dir(board, "--tensorboard")))
    if sel.device == "all":
        devices = place.available_devices() if place is not None else backends.available_devices()
    else:
        (place.check_device if place is not None else backends.check_device)(sel.device)
        devices = [sel.device]
    if sel.seeds < 1:
        raise BenchError("--seeds must be at least 1")
    overrides = split_settings(sel.settings, notes)
    # who runs the cells, and whether they measure speed (then each has its node to itself)
    placing = {"executor": sel.executor, "exclusive": not sel.quality_only}
    if sel.probe:
        placing["probe"] = True
    if sel.save_weights is not None:
        placing["save_weights"] = sel.save_weights
    want_modes = modes.parse(sel.modes, "--mode", modes.all_mode_names())
    want_precisions = modes.parse(sel.precisions, "--precision", modes.PRECISIONS)
    out = []
    # each backend on its engines: Keras on every --engine (default: its default engine), the others as they are
    on_engines = [(b, e) for b in wanted for e in ((engines or [None]) if b == "keras" else [None])]
    for algo, (backend, engine), device, seed in itertools.product(
        algos, on_engines, devices, range(sel.seed, sel.seed + sel.seeds)
    ):
        if not registry.has_impl(algo, backend):
            if asked is not None and named is not None:  # both named: say so; otherwise skip quietly
                registry.check(algo, backend)
            continue
        beneath = tour.settings(algo, sel.budget) if sel.tour else dict(sel.per_algo.get(algo, {}))
        given = {**beneath, **overrides}  # the user's win
        module, strict = specs.get(algo).module, named is not None
        label = backends.label(backend, engine)
        for mode, precision in itertools.product(
            modes.expand(want_modes, module, label, device, "mode", strict),
            modes.expand(want_precisions, module, label, device, "precision", strict),
        ):
            out.append(
                RunConfig.create(
                    algo,
                    backend,
                    device,
                    seed,
                    sel.budget,
                    given,
                    threads=sel.threads,
                    tensorboard=board,
                    engine=engine,
                    mode=mode,
                    precision=precision,
                    **placing,
                )
            )
    _check_axes_used(want_modes, out, [backends.label(b, e) for b, e in on_engines], "mode")
    if not out:
        raise BenchError("nothing to run for that selection")
    return out


def _check_axes_used(asked, cells, wanted, axis) -> None:
    """A ``--mode`` name that no selected backend has is refused, naming each one's modes."""
    if not asked or modes.ALL in asked:
        return
    used = {getattr(c, axis) for c in cells}
    for name in asked:
        if name not in used:
            have = "; ".join(f"{b}: {', '.join(modes.of(b).names())}" for b in wanted if modes.known(b))
            raise BenchError(f"no selected backend has --{axis} {name}; the modes of each: {have}")
