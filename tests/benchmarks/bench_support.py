"""What the pytest-benchmark suite (tests/benchmarks) needs from the harness: the supervised cells
and the measurement of a train step and of the forward pass."""

from __future__ import annotations

import os

from support import cases, create, on_this_engine

from bench.core.card import config_card
from bench.core.env_vars import env_count
from bench.train.runner import prepare

CELLS_SUPERVISED = on_this_engine(cases("supervised", reference=False))  # keras[jax] under KERAS_BACKEND=jax


def benchmark_train_step(
    benchmark, algo: str, backend: str, device: str | None = None, mode: str | None = None, precision: str = "fp32"
) -> None:
    """Train the quick budget in-process (quality metric for extra_info), then time the train
    step on one fixed batch: warm-up rounds first, device synchronised inside each timed call.
    ``mode`` and ``precision``: the execution axes (bench.core.modes; None: the backend's default)."""
    import importlib

    device = device or os.environ.get("BENCH_DEVICE", "cpu")
    cell = create(algo, backend, device, threads=_threads(), mode=mode, precision=precision)
    p = prepare(cell)
    driver = importlib.import_module("bench.train.runner").DRIVERS[p.spec.kind]
    out = importlib.import_module(driver).train(p.spec, p.learner, p.data, p.hp, 0, p.session.sync, backend=backend)
    bs = p.hp.get("batch_size") or p.data.n_train
    xb, yb = p.data.x_train[:bs], p.data.y_train[:bs]

    def step():
        loss = p.learner.train_step(xb, yb)
        p.session.sync()
        return loss

    if p.learner.train_steps is not None:  # the idiom that trains many steps a call (Keras's fit): 16 a call
        batch, many = bs, min(16, p.data.n_train // bs)
        xb, yb = p.data.x_train[: many * batch], p.data.y_train[: many * batch]

        def step():
            losses = p.learner.train_steps(xb, yb, batch)
            p.session.sync()
            return losses

        bs = many * batch  # samples a call

    _info(benchmark, p, algo, backend, device, bs)
    benchmark.extra_info.update(
        {
            "metric": p.spec.metric,
            "value": out["metrics"].get(p.spec.metric),
            "quality_budget": "quick",
            "mode": cell.mode,
            "precision": cell.precision,
            "compile_s": out["compile_s"],
            "compiles": out.get("compiles"),
        }
    )
    _pedantic(benchmark, p.spec, step)
    benchmark.extra_info["samples_per_s_median"] = bs / (benchmark.stats.stats.median or float("nan"))


def _info(benchmark, p, algo, backend, device, batch_size) -> None:
    benchmark.extra_info.update(
        {
            "algo": algo,
            "backend": backend,
            "device": device,
            "batch_size": int(batch_size),
            "dataset": getattr(p.data, "name", None),
            "card": config_card(p.session.backend, p.session.facts, p.learner.describe()),
        }
    )


def _pedantic(benchmark, spec, fn) -> None:
    rounds, iterations = spec.bench_rounds
    benchmark.pedantic(
        fn,
        rounds=env_count("BENCH_ROUNDS", rounds),
        iterations=env_count("BENCH_ITERATIONS", iterations),
        warmup_rounds=3,
    )


def benchmark_predict(benchmark, algo: str, backend: str, batch_size: int = 32, device: str | None = None) -> None:
    """Time the inference-mode forward pass (``predict``, the result on the host) on one fixed
    batch of the quick budget's images, at the spec's initial (or pretrained) weights."""
    device = device or os.environ.get("BENCH_DEVICE", "cpu")
    p = prepare(create(algo, backend, device, threads=_threads()))
    xb = p.data.x_train[:batch_size]
    _info(benchmark, p, algo, backend, device, len(xb))
    _pedantic(benchmark, p.spec, lambda: p.learner.predict(xb))
    benchmark.extra_info["images_per_s_median"] = len(xb) / (benchmark.stats.stats.median or float("nan"))


def _threads() -> int | None:
    """``BENCH_THREADS`` when set (checked: a whole number >= 1), else the spec's thread count."""
    return env_count("BENCH_THREADS", 1) if os.environ.get("BENCH_THREADS", "").strip() else None
