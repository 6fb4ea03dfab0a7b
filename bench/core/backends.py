"""Per-backend setup behind one small API: device discovery, threads, seeding, determinism,
device synchronisation for timing, and versions for the config card.

Frameworks are imported inside the functions, never at module level.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from bench.core.errors import BenchError, choices

BACKENDS = ("tf", "torch", "keras")
REFERENCE_BACKENDS = ("numpy",)  # framework-free references, where an algorithm has one
DEVICES = ("cpu", "gpu")
# the engines Keras 3 runs on (KERAS_BACKEND), the default first, and the distributions each needs
KERAS_ENGINES = ("tensorflow", "jax", "torch")
DEFAULT_ENGINE = KERAS_ENGINES[0]
ENGINE_PACKAGES = {"tensorflow": ("tensorflow",), "jax": ("jax", "jaxlib"), "torch": ("torch",)}

# distribution names whose versions go on every config card
PACKAGES = {
    "tf": ("tensorflow", "tensorflow-probability"),
    "torch": ("torch",),
    "keras": ("keras", "tensorflow", "tf-keras", "tensorflow-probability"),
    "numpy": (),
}


@dataclass
class Session:
    """A configured backend: what the runner needs to time and describe a run."""

    backend: str
    device: str
    sync: Callable[[], None]
    facts: dict = field(default_factory=dict)


def label(backend: str, engine: str | None = None) -> str:
    """The one name of a backend on an engine, everywhere a cell is named (results, history,
    report, pytest ids): ``keras`` on its default engine, ``keras[jax]`` and ``keras[torch]`` on the
    others."""
    if backend == "keras" and engine not in (None, DEFAULT_ENGINE):
        return f"keras[{engine}]"
    return backend


def parse_label(name: str) -> tuple[str, str | None]:
    """``keras[jax]`` -> ("keras", "jax"); ``tf`` -> ("tf", None)."""
    base, sep, rest = name.partition("[")
    return (base, rest.rstrip("]")) if sep else (name, None)


def package_installed(dist: str) -> bool:
    try:
        md.version(dist)
        return True
    except md.PackageNotFoundError:
        return False


def check_engine(engine: str) -> None:
    """An engine Keras knows, with its packages installed here; else one line naming the fix."""
    if engine not in KERAS_ENGINES:
        raise BenchError(f"unknown Keras engine '{engine}'; choose from: {choices(KERAS_ENGINES)}")
    missing = [d for d in ENGINE_PACKAGES[engine] if not package_installed(d)]
    if missing:
        raise BenchError(
            f"the Keras engine '{engine}' needs {' and '.join(missing)}, not installed here; "
            f"install with: pip install -c constraints.txt {' '.join(missing)}"
        )


def select_engine(engine: str | None) -> str:
    """Make ``engine`` (None: the default) this process's Keras engine: KERAS_BACKEND, read when
    keras is first imported, so before that. -> the engine."""
    engine = engine or DEFAULT_ENGINE
    if "keras" in sys.modules:
        import keras

        if keras.backend.backend() != engine:
            raise BenchError(
                f"Keras already runs on {keras.backend.backend()} in this process; the engine is chosen "
                f"once per process, before keras is imported (KERAS_BACKEND={engine})"
            )
    os.environ["KERAS_BACKEND"] = engine
    return engine


def versions(backend: str, engine: str | None = None) -> dict[str, str]:
    """numpy's and the backend's distributions' versions (Keras on another engine: keras and that
    engine's)."""
    out = {"numpy": np.__version__}
    other = backend == "keras" and engine not in (None, DEFAULT_ENGINE)
    for dist in ("keras",) + ENGINE_PACKAGES[engine] if other else PACKAGES[backend]:
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def framework_installed(backend: str) -> bool:
    mod = {"tf": "tensorflow", "torch": "torch", "keras": "keras", "numpy": "numpy"}[backend]
    try:
        md.version({"tensorflow": "tensorflow"}.get(mod, mod))
        return True
    except md.PackageNotFoundError:
        return False


def gpu_present() -> bool:
    """Cheap check, no framework import: an NVIDIA driver that lists at least one GPU."""
    if os.environ.get("BENCH_FORCE_NO_GPU"):
        return False
    smi = shutil.which("nvidia-smi")
    if not smi:
        return False
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


def available_devices() -> list[str]:
    return ["cpu", "gpu"] if gpu_present() else ["cpu"]


def check_device(device: str) -> None:
    if device not in DEVICES:
        raise BenchError(f"unknown device '{device}'; choose from: {choices(DEVICES + ('all',))}")
    if device == "gpu" and not gpu_present():
        raise BenchError("no GPU is available on this machine; devices here: cpu")


def setup(
    backend: str,
    device: str,
    seed: int,
    threads: int | None = None,
    deterministic: bool = True,
    engine: str | None = None,
) -> Session:
    """Import and configure one framework for a run (Keras: on ``engine``, None: the default).
    Call once per process, before building any model."""
    random.seed(seed)
    np.random.seed(seed)
    threads = int(threads or 1)
    # OpenMP and MKL read these when the framework loads: the same count as intra/inter-op
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    if backend == "keras":
        return _setup_keras(select_engine(engine), device, seed, threads, deterministic)
    if backend == "torch":
        return _setup_torch(device, seed, threads, deterministic)
    if backend == "tf":
        return _setup_tf(backend, device, seed, threads, deterministic)
    if backend == "numpy":
        return Session(
            backend, device, lambda: None, {"threads": threads, "compile": "none (numpy)", "device_name": "cpu"}
        )
    raise BenchError(f"unknown backend '{backend}'; choose from: {choices(BACKENDS)}")


def _setup_torch(device, seed, threads, deterministic):
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    try:  # only before any inter-op work has started in this process
        torch.set_num_interop_threads(threads)
    except RuntimeError:
        pass
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
    if device == "gpu":
        if not torch.cuda.is_available():
            raise BenchError(
                "PyTorch sees no CUDA GPU on this machine (this torch build is "
                f"{torch.__version__}); run with --device cpu"
            )
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        name = torch.cuda.get_device_name(0)
        sync = torch.cuda.synchronize
    else:
        name, sync = "cpu", (lambda: None)
    return Session(
        "torch",
        device,
        sync,
        {
            "threads": threads,
            "interop_threads": torch.get_num_interop_threads(),
            "device_name": name,
            "deterministic": deterministic,
            "tf32": False,
        },
    )


def _setup_keras(engine, device, seed, threads, deterministic):
    """Keras 3 on ``engine``: the engine's own setup (threads, seeds, determinism, device), then
    Keras's seed."""
    if engine == "tensorflow":
        session = _setup_tf("keras", device, seed, threads, deterministic)
    elif engine == "torch":
        session = _setup_torch(device, seed, threads, deterministic)
    else:
        session = _setup_jax(device, threads, deterministic)
    import keras

    keras.utils.set_random_seed(seed)
    session.backend = "keras"
    session.facts.update(keras_backend=keras.backend.backend(), keras_engine=engine)
    return session


def _setup_jax(device, threads, deterministic):
    """JAX on the CPU (this build has no GPU support): XLA's CPU thread pool limited to
    ``threads`` (its flags are read when jax first starts, so before that)."""
    if device == "gpu":
        raise BenchError("this JAX build has no GPU support; run keras[jax] with --device cpu")
    if "jax" not in sys.modules:
        flags = os.environ.get("XLA_FLAGS", "")
        if threads == 1:
            flags += " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        os.environ["XLA_FLAGS"] = flags.strip()
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    # XLA's CPU kernels are deterministic; there is no switch to set
    return Session(
        "keras",
        device,
        lambda: None,
        {"threads": threads, "deterministic": deterministic, "device_name": str(jax.devices()[0])},
    )


def _setup_tf(backend, device, seed, threads, deterministic):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if device == "gpu" and not gpus:
        raise BenchError("TensorFlow sees no GPU on this machine; run with --device cpu")
    if device == "gpu":
        tf.config.experimental.enable_tensor_float_32_execution(False)
    try:  # only possible before TensorFlow's runtime starts (a second setup in one process)
        if device == "cpu":
            tf.config.set_visible_devices([], "GPU")
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        threads = tf.config.threading.get_intra_op_parallelism_threads() or threads
    tf.random.set_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    facts = {
        "threads": threads,
        "deterministic": deterministic,
        "device_name": gpus[0].name if device == "gpu" else "cpu",
    }

    def sync():
        # Reading a value already synchronises; this waits for queued GPU kernels too.
        if device == "gpu":
            tf.test.experimental.sync_devices()

    return Session(backend, device, sync, facts)
