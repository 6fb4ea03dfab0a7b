"""Keras's two training idioms on this process's Keras engine, through pytest-benchmark: one
``train_on_batch`` per batch (the suite's per-step idiom, ``Learner.train_step``; on JAX every call
writes the step's new state back into the model's variables) against one ``fit`` over the same
batches in the same order (the state stays inside Keras's loop and is written back once, at the
end). Same model, optimizer, batches and batch size; each round is N_BATCHES steps. Grouped by
algorithm, named on the engine (``keras[jax]``); run once per engine:

    KERAS_BACKEND=jax pytest --benchmark-only tests/benchmarks/test_keras_idioms.py
"""

import os

import pytest
from bench_support import _threads
from support import create, on_this_engine

from bench.train.runner import prepare

pytestmark = pytest.mark.filterwarnings("ignore")
N_BATCHES = 50


@pytest.mark.parametrize("idiom", ["train_on_batch", "fit"])
@pytest.mark.parametrize("algo", ["mlp", "lenet5"])
def test_keras_idiom(benchmark, algo, idiom):
    ((_, name),) = on_this_engine([(algo, "keras")])
    p = prepare(create(algo, name, os.environ.get("BENCH_DEVICE", "cpu"), threads=_threads()))
    bs = int(p.hp["batch_size"])
    x, y = p.data.x_train[: bs * N_BATCHES], p.data.y_train[: bs * N_BATCHES]
    model = p.learner.model

    def per_step():
        for i in range(N_BATCHES):
            loss = p.learner.train_step(x[i * bs : (i + 1) * bs], y[i * bs : (i + 1) * bs])
        return float(loss)  # the last loss on the host: every step has run

    def whole():
        return model.fit(x, y, batch_size=bs, epochs=1, shuffle=False, verbose=0).history["loss"][-1]

    benchmark.group = f"keras-idiom-{algo}"
    benchmark.name = f"{algo}-{name}-{idiom}"
    benchmark.extra_info.update({"algo": algo, "backend": name, "idiom": idiom, "batches": N_BATCHES, "batch_size": bs})
    benchmark.pedantic(per_step if idiom == "train_on_batch" else whole, rounds=7, iterations=1, warmup_rounds=2)
    benchmark.extra_info["samples_per_s_median"] = bs * N_BATCHES / benchmark.stats.stats.median
