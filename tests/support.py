"""What every test that builds a learner uses: one way to build it, and the (algorithm, backend)
cases of the registry (so no test keeps its own list of backends or algorithms)."""

from __future__ import annotations

from bench import modes, registry, specs
from bench.backends import BACKENDS, REFERENCE_BACKENDS
from bench.config import RunConfig
from bench.runner import build_learner

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
    (algo, seed) and the spec's pretrained weights, if any (:func:`bench.runner.build_learner`),
    in the execution ``mode`` (None: the backend's default) and ``precision``.
    ``overrides``: setting -> value (a value or a ``--set`` string)."""
    cell = RunConfig.create(algo, backend, device, seed, budget, overrides, mode=mode, precision=precision)
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


def axes(algo: str, backend: str, device: str = "cpu") -> list[tuple[str, str]]:
    """Every (mode, precision) that ``backend`` runs ``algo`` in on ``device`` (bench.modes)."""
    got_modes, precisions = modes.supported(specs.get(algo).module, backend, device)
    return [(m, p) for m in got_modes for p in precisions]


def case_id(algo: str, backend: str) -> str:
    return f"{algo}-{backend}"
