"""The machine's measured matmul peak: the FLOP/s of a square ``torch.matmul``, the yardstick that
a training step's FLOP/s (bench/core/flops.py) is divided by to say how much of the machine it used.

A datasheet's peak is not what a framework reaches on a shared, virtual machine: this one is
measured, with the library the benchmarks run on. ``matmul_peak`` multiplies two n x n matrices
of ``precision`` (fp32, or bf16, which PyTorch runs on the AMX tiles of a Sapphire Rapids CPU
through oneDNN) on ``threads`` threads: a warm-up, one timed product to size the repetitions,
then ``repeats`` timed repetitions of ``reps`` products each filling ``seconds`` between them;
the best (largest) rate is the peak, since other work on the machine can only slow a repetition
down. Each product is 2 n^3 FLOPs. PyTorch's thread count is restored afterwards.

Size: on this project's 2-core Sapphire Rapids machine (torch 2.13, one thread), n = 1024 reaches
the peak in both precisions: fp32 ~145 GFLOP/s at n = 512 to 2048 (AVX-512), bf16 ~1.0 TFLOP/s at
1024 and 1536, less at 512 (~0.9 to 1.0) and 2048 (~0.85-0.9). It is the default on the CPU. The
machine is shared: with other work on both cores even the best repetition can fall well short
(bf16 at one thread measured from 0.4 to 1.1 TFLOP/s within minutes), so record the load with the
rate, and read a low one as a busy machine rather than a slow one. On a GPU (``device="gpu"``,
CUDA, timed with synchronisation) the default is 8192, large enough for a data-centre GPU's
tensor cores.

PyTorch is imported inside the function (no framework at module level in bench/).
"""

from __future__ import annotations

import math
import time

from bench.core.errors import BenchError, choices

PRECISIONS = ("fp32", "bf16")
DEVICES = ("cpu", "gpu")
DEFAULT_N = {"cpu": 1024, "gpu": 8192}
REPEATS = 10  # timed repetitions; the best one is the peak
WARMUP_S = 0.1  # products run before timing (oneDNN's kernels are generated on first use)


def matmul_peak(
    precision: str = "fp32", threads: int = 1, n: int | None = None, seconds: float = 0.5, device: str = "cpu"
) -> dict:
    """The best FLOP/s of an n x n ``torch.matmul`` in ``precision`` on ``threads`` threads over
    about ``seconds`` of timed products -> {flops_per_s, n, reps (products per repetition),
    repeats, best_s (the best repetition's time), threads, precision, device, library}."""
    if precision not in PRECISIONS:
        raise BenchError(f"unknown precision '{precision}'; choose from: {choices(PRECISIONS)}")
    if device not in DEVICES:
        raise BenchError(f"unknown device '{device}'; choose from: {choices(DEVICES)}")
    if int(threads) < 1:
        raise BenchError(f"threads must be at least 1, got {threads}")
    n = int(n or DEFAULT_N[device])
    if n < 1 or not seconds > 0:
        raise BenchError(f"n and seconds must be positive, got n={n}, seconds={seconds}")
    import torch

    if device == "gpu" and not torch.cuda.is_available():
        raise BenchError("device 'gpu': PyTorch sees no CUDA device")
    dev = torch.device("cuda" if device == "gpu" else "cpu")
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[precision]
    sync = torch.cuda.synchronize if device == "gpu" else (lambda: None)
    before = torch.get_num_threads()
    torch.set_num_threads(int(threads))
    try:
        gen = torch.Generator().manual_seed(0)
        a, b = (torch.randn(n, n, generator=gen).to(dev, dtype) for _ in range(2))
        out = torch.empty(n, n, device=dev, dtype=dtype)

        def timed(reps: int) -> float:
            sync()
            t0 = time.perf_counter()
            for _ in range(reps):
                torch.matmul(a, b, out=out)
            sync()
            return time.perf_counter() - t0

        t_end = time.perf_counter() + WARMUP_S
        while time.perf_counter() < t_end:
            timed(1)
        one = timed(1)
        reps = max(1, math.ceil(seconds / REPEATS / max(one, 1e-9)))
        best = min(timed(reps) for _ in range(REPEATS))
    finally:
        torch.set_num_threads(before)
    return {
        "flops_per_s": 2 * n**3 * reps / best,
        "n": n,
        "reps": reps,
        "repeats": REPEATS,
        "best_s": best,
        "threads": int(threads),
        "precision": precision,
        "device": device,
        "library": f"torch {torch.__version__}",
    }
