"""What every test that builds a learner uses: one way to build it, and the (algorithm, backend)
cases of the registry (so no test keeps its own list of backends or algorithms)."""

from __future__ import annotations

import os

from bench import specs
from bench.config import RunConfig
from bench.core import modes
from bench.core.backends import BACKENDS, DEFAULT_ENGINE, KERAS_ENGINES, REFERENCE_BACKENDS, label, parse_label
from bench.specs import registry
from bench.train.runner import build_learner

# every backend the harness knows, the framework-free references first
ALL_BACKENDS = REFERENCE_BACKENDS + BACKENDS


def build(
    algo: str,
    backend: str,
    overrides=None,
    seed: int = 0,
    budget: str = "quick",
    device: str = "cpu",
    mode: str | None = None,
    precision: str = "fp32",
):
    """(learner, hp, spec): the settings resolved and validated as a run does
    (:meth:`RunConfig.create`), the learner built with the canonical initial weights of
    (algo, seed) and the spec's pretrained weights, if any (:func:`bench.train.runner.build_learner`),
    in the execution ``mode`` (None: the backend's default) and ``precision``.
    ``overrides``: setting -> value (a value or a ``--set`` string). Keras runs on this process's
    engine (KERAS_BACKEND; an engine's worker process), with that engine's modes."""
    engine = (os.environ.get("KERAS_BACKEND") or DEFAULT_ENGINE) if backend == "keras" else None
    cell = RunConfig.create(
        algo, backend, device, seed, budget, overrides, mode=mode, precision=precision, engine=engine
    )
    spec, hp = cell.spec, cell.hp
    learner = build_learner(spec, hp, backend, seed, device, mode=cell.mode, precision=cell.precision)
    return learner, hp, spec


def settings(algo: str, overrides=None, budget: str = "quick") -> dict:
    """The resolved settings of (algo, budget) with ``overrides``, without building anything."""
    return specs.get(algo).resolve(budget, overrides)


def backends(algo: str, reference: bool = True) -> list[str]:
    """The backends implementing ``algo`` (``reference``: the numpy reference too, where it has one)."""
    return registry.backends_for(algo, include_reference=reference)


def others(algo: str) -> list[str]:
    """The backends implementing ``algo`` other than its reference backend."""
    return [b for b in backends(algo) if b != reference_backend(algo)]


def reference_backend(algo: str) -> str:
    """The backend the others are compared with: the numpy reference where the algorithm has
    one, else the first framework backend that implements it (TensorFlow for the built-in ones)."""
    return next(b for b in ALL_BACKENDS if b in backends(algo))


def cases(kind: str | None = None, reference: bool = True) -> list[tuple[str, str]]:
    """Every (algorithm, backend) of the registry, of one ``kind`` ("supervised", "rl") or all."""
    return [
        (name, b)
        for name, spec in specs.all_specs().items()
        if kind in (None, spec.kind)
        for b in backends(name, reference)
    ]


def engine_cases() -> list[tuple[str, str]]:
    """Every (algorithm, ``keras[engine]``) for the Keras engines other than the default: Keras has
    one engine per process, so these run in a worker process of their own (tests/protocols.py)."""
    return [
        (name, label(b, engine))
        for name, b in cases(reference=False)
        if b == "keras"
        for engine in KERAS_ENGINES
        if engine != DEFAULT_ENGINE
    ]


def on_this_engine(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``pairs`` with ``keras`` named on this process's Keras engine (KERAS_BACKEND): ``keras[jax]``
    in a process started with KERAS_BACKEND=jax (the pytest-benchmark suite runs once per engine).
    On another engine than the default, the Keras pairs alone: the TensorFlow implementations use
    Keras's optimizers, which then run on that engine."""
    engine = os.environ.get("KERAS_BACKEND") or DEFAULT_ENGINE
    if engine != DEFAULT_ENGINE:
        return [(a, label(b, engine)) for a, b in pairs if b == "keras"]
    return [(a, label(b, engine) if b == "keras" else b) for a, b in pairs]


def create(algo: str, backend: str, device: str, **options) -> RunConfig:
    """The quick-budget, seed-0 RunConfig of ``algo`` on ``backend`` (a name such as ``keras[jax]``)."""
    base, engine = parse_label(backend)
    return RunConfig.create(algo, base, device, seed=0, budget="quick", engine=engine, **options)


def axes(algo: str, backend: str, device: str = "cpu") -> list[tuple[str, str]]:
    """Every (mode, precision) that ``backend`` runs ``algo`` in on ``device`` (bench.core.modes)."""
    got_modes, precisions = modes.supported(specs.get(algo).module, backend, device)
    return [(m, p) for m in got_modes for p in precisions]


def case_id(algo: str, backend: str) -> str:
    return f"{algo}-{backend}"


def sigint_default() -> None:
    """``preexec_fn`` of a command the test interrupts with SIGINT: Ctrl-C's default handling, even
    when the test run itself was started in the background, where the shell has SIGINT ignored
    and every child would inherit that (Python then installs no KeyboardInterrupt handler)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
