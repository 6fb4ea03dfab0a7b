"""The execution axes of a cell: the mode a backend runs its steps in, and the precision.

Declared here once, per backend: the modes it has, its default, the modes that need a GPU, and
which implementation modules honour the axes (the others run their backend's default mode in
fp32 only). :meth:`bench.config.RunConfig.create` validates a cell against these declarations
(one line and exit 2 for an unknown mode or precision, a GPU-only mode on the CPU, or bf16 where
an implementation does not do it) and ``bench list`` prints them.

* TensorFlow: ``eager`` (plain Python, no ``tf.function``), ``graph`` (``tf.function``, the
  default) and ``xla`` (``tf.function(jit_compile=True)``).
* PyTorch: ``eager`` (the default), ``compile`` (``torch.compile``, inductor, its default mode),
  ``compile-max`` (``mode="max-autotune-no-cudagraphs"``) and ``reduce-overhead`` (CUDA graphs:
  GPU only).
* Keras, per engine (``compile(jit_compile=...)``, always explicit, never Keras's "auto"):
  on TensorFlow ``jit-off`` (the default: the train function as a ``tf.function`` without XLA)
  and ``jit-on`` (XLA); on PyTorch ``jit-off`` (the default: eager) and ``jit-on``
  (``torch.compile``); on JAX ``jit-on`` (``jax.jit``; Keras on JAX without it runs op by op, a
  debugging aid) and, for the supervised classifiers, ``fit``: the whole-epoch idiom, Keras's
  ``model.fit`` over each epoch's batches under ``jax.jit``, beside the per-step ``train_on_batch``
  (on JAX each ``train_on_batch`` call syncs the train state back into the model:
  docs/keras_engines.md). A Keras engine other than the default is named as a backend here:
  ``keras[jax]``, ``keras[torch]`` (bench.core.backends.label).

Precision: ``fp32``, or ``bf16`` mixed precision (bf16 compute, fp32 master weights; bf16 needs no
loss scaling): ``torch.autocast`` in PyTorch, the ``mixed_bfloat16`` policy in Keras, explicit
casts in the low-level TensorFlow learners.

The harness hands both to a learner in its settings (``hp["mode"]``, ``hp["precision"]``; see
:mod:`bench.core.interface`); they are not spec settings and ``--set`` does not take them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from bench.core.errors import BenchError, choices

PRECISIONS = ("fp32", "bf16")
DEFAULT_PRECISION = "fp32"


@dataclass(frozen=True)
class Mode:
    name: str
    what: str  # one line: what the backend does in this mode
    compiled: bool  # traced/compiled ahead of the steps (its first step pays for it)
    gpu_only: bool = False
    # the implementation modules that run this mode (None: every modal module)
    modules: tuple[str, ...] | None = None
    # False: the framework's deterministic mode cannot be on (TensorFlow's op determinism has no
    # XLA implementation of the max-pool gradient: "MaxPool gradient ops do not yet have a
    # deterministic XLA implementation", an UnimplementedError at the first step)
    deterministic: bool = True


@dataclass(frozen=True)
class BackendModes:
    default: str
    modes: tuple[Mode, ...]
    precisions: tuple[str, ...] = PRECISIONS

    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.modes)

    def get(self, name: str) -> Mode:
        return next(m for m in self.modes if m.name == name)


BACKENDS: dict[str, BackendModes] = {
    "tf": BackendModes(
        "graph",
        (
            Mode("eager", "eager TensorFlow ops, no tf.function", compiled=False),
            Mode("graph", "tf.function (no XLA)", compiled=True),
            Mode("xla", "tf.function(jit_compile=True)", compiled=True, deterministic=False),
        ),
    ),
    "torch": BackendModes(
        "eager",
        (
            Mode("eager", "eager PyTorch", compiled=False),
            Mode("compile", "torch.compile (inductor, default mode)", compiled=True),
            Mode("compile-max", "torch.compile(mode='max-autotune-no-cudagraphs')", compiled=True),
            Mode("reduce-overhead", "torch.compile(mode='reduce-overhead'): CUDA graphs", compiled=True, gpu_only=True),
        ),
    ),
    "keras": BackendModes(
        "jit-off",
        (
            Mode("jit-off", "Keras compiled train function, jit_compile=False", compiled=True),
            Mode("jit-on", "Keras compiled train function, jit_compile=True (XLA)", compiled=True, deterministic=False),
        ),
    ),
    "numpy": BackendModes("eager", (Mode("eager", "numpy reference", compiled=False),), precisions=("fp32",)),
}

# Keras on its other engines, by their names as backends (bench.core.backends.label)
ENGINES: dict[str, BackendModes] = {
    "keras[jax]": BackendModes(
        "jit-on",
        (
            Mode("jit-on", "Keras train_on_batch under jax.jit (XLA), one step a call", compiled=True),
            Mode(
                "fit",
                "Keras model.fit over each epoch's batches (same order) under jax.jit: the train state syncs "
                "back into the model once an epoch, not every step",
                compiled=True,
                modules=("mlp", "lenet5", "metrics_cnn", "resnet"),
            ),
        ),
    ),
    "keras[torch]": BackendModes(
        "jit-off",
        (
            Mode("jit-off", "Keras train function, eager PyTorch", compiled=False),
            Mode("jit-on", "Keras train function under torch.compile (inductor)", compiled=True),
        ),
    ),
}


def of(backend: str) -> BackendModes:
    """The modes of ``backend``: a backend of BACKENDS, or Keras on an engine (``keras[jax]``)."""
    return ENGINES.get(backend) or BACKENDS[backend]


def known(backend: str) -> bool:
    return backend in BACKENDS or backend in ENGINES


# implementation modules (Spec.module) whose learners honour every mode and precision of their
# backend: the supervised classifiers on the shared _learner plumbing, and the DQN family
# (update and action selection). Every other module runs its backend's default mode in fp32.
MODAL_MODULES = ("mlp", "lenet5", "metrics_cnn", "resnet", "dqn")

ALL = "all"


def default(backend: str) -> str:
    return of(backend).default


def effective(backend: str, mode: str | None) -> str:
    """The mode a cell runs in: ``mode``, or the backend's default for None."""
    return mode or default(backend)


def deterministic(backend: str, mode: str | None) -> bool:
    """Whether the framework's deterministic mode can be on in ``mode``."""
    return of(backend).get(effective(backend, mode)).deterministic


def learner_axes(backend: str, mode: str | None, precision: str | None) -> dict:
    """What the harness adds to a learner's settings: ``{"mode": ..., "precision": ...}``, explicit."""
    return {"mode": effective(backend, mode), "precision": precision or DEFAULT_PRECISION}


def supported(module: str, backend: str, device: str = "cpu") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(modes, precisions) that ``module`` runs in on ``backend`` and ``device``."""
    bm = of(backend)
    if module not in MODAL_MODULES:
        return (bm.default,), (DEFAULT_PRECISION,)
    runs = [m for m in bm.modes if (device == "gpu" or not m.gpu_only) and module in (m.modules or (module,))]
    return tuple(m.name for m in runs), bm.precisions


def declared(module: str, backend: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every mode ``module`` has on ``backend``, the GPU-only ones included."""
    return supported(module, backend, "gpu")


def parse(values, what: str, pool) -> list[str] | None:
    """``--mode a,b`` / ``--precision ...``: names (repeatable, comma-separated); None when not
    given. Names outside every backend's pool are refused here, before any cell is built."""
    if values is None:
        return None
    named = list(dict.fromkeys(v.strip() for raw in values for v in raw.split(",") if v.strip()))
    if not named:
        raise BenchError(f"{what} is empty: name at least one (see 'bench list'), or leave {what} out")
    unknown = [n for n in named if n != ALL and n not in pool]
    if unknown:
        raise BenchError(f"unknown {what[2:]} '{unknown[0]}'; choose from: {choices([*pool, ALL])}")
    return named


def all_mode_names() -> tuple[str, ...]:
    return tuple(dict.fromkeys(m.name for bm in (*BACKENDS.values(), *ENGINES.values()) for m in bm.modes))


def expand(asked: list[str] | None, module: str, backend: str, device: str, axis: str, strict: bool) -> list:
    """The modes (``axis="mode"``) or precisions that a run asks of one (module, backend, device):
    None -> the default, ``all`` -> every one that runs there, else the named ones that belong
    to this backend (a mode of another backend is for that one). ``strict`` (the algorithm was
    named): keep a name this module cannot run, for :func:`check` to refuse; else drop it."""
    modes, precisions = supported(module, backend, device)
    have = modes if axis == "mode" else precisions
    if asked is None:
        return [default(backend) if axis == "mode" else DEFAULT_PRECISION]
    if ALL in asked:
        return list(have)
    own = of(backend).names() if axis == "mode" else PRECISIONS
    mine = [a for a in asked if a in own]
    return mine if strict else [a for a in mine if a in have]


def check(algo: str, module: str, backend: str, device: str, mode: str | None, precision: str) -> None:
    """One clear BenchError line when (backend, mode, precision) cannot run ``algo`` on ``device``."""
    bm = of(backend)
    modes, precisions = supported(module, backend, device)
    if precision not in PRECISIONS:
        raise BenchError(f"unknown precision '{precision}'; choose from: {choices(PRECISIONS)}")
    if mode is not None:
        if mode not in bm.names():
            raise BenchError(f"{backend} has no mode '{mode}'; its modes: {', '.join(bm.names())}")
        if bm.get(mode).gpu_only and device != "gpu":
            raise BenchError(
                f"{backend} mode '{mode}' needs a GPU ({bm.get(mode).what}); on the CPU choose from: "
                f"{', '.join(supported(module, backend, 'cpu')[0])}"
            )
        if mode not in modes:
            why = (
                "its implementation does not honour the mode axis"
                if module not in MODAL_MODULES
                else f"mode '{mode}' runs the {', '.join(bm.get(mode).modules or ())} implementations only"
            )
            raise BenchError(
                f"{algo} on {backend} runs only in mode {', '.join(modes)} ({why}); valid: --mode {','.join(modes)}"
            )
    if precision not in precisions:
        raise BenchError(f"{algo} on {backend} cannot run in {precision}; valid: --precision {','.join(precisions)}")


def of_record(backend: str, hparams: Mapping[str, Any] | None, run: Mapping[str, Any] | None) -> tuple[str, str]:
    """(mode, precision) of a recorded result: its run configuration's, else what an older record
    says (the ``xla`` setting the MNIST specs had before the mode axis), else the defaults."""
    run, hparams = run or {}, hparams or {}
    mode, precision = run.get("mode"), run.get("precision") or DEFAULT_PRECISION
    if backend in ENGINES and mode not in of(backend).names():
        # Keras on JAX was recorded as "jit-off" before the modes were per engine: it ran jax.jit
        # all the same (its card says so), the one mode it has now
        mode = None
    if mode is None and known(backend):
        if hparams.get("xla") is True and backend in ("tf", "keras"):
            mode = "xla" if backend == "tf" else "jit-on"
        else:
            mode = default(backend)
    return mode, precision


def table(module: str, backend: str, device: str) -> str:
    """``graph,eager,xla x fp32,bf16`` for ``bench list`` (the default mode first; GPU-only modes
    marked when ``device`` is the CPU)."""
    modes, precisions = declared(module, backend)
    bm = of(backend)
    shown = [bm.default] + [m for m in modes if m != bm.default]
    marks = [f"{m}(gpu)" if bm.get(m).gpu_only and device != "gpu" else m for m in shown]
    return f"{','.join(marks)} x {','.join(precisions)}"
