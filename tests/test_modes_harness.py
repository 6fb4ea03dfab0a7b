"""The harness side of the execution axes: RunConfig resolves and records them, old records read
as their default, compilations inside a timed round are counted and flagged, and the report's
modes table marks each backend's best and its break-even (tests/test_modes.py checks quality)."""

from types import SimpleNamespace

import numpy as np
import pytest

from bench.config import RunConfig
from bench.core import compiles, modes
from bench.reporting.report_modes import modes_rows
from bench.reporting.schema import Result
from bench.train.tracking import RunTracker


def test_create_fills_in_the_default_mode_and_turns_determinism_off_for_xla():
    assert RunConfig.create("mlp", "tf").mode == "graph"
    assert RunConfig.create("mlp", "torch").mode == "eager"
    assert RunConfig.create("mlp", "keras").mode == "jit-off"
    assert RunConfig.create("mlp", "tf", mode="xla").deterministic is False
    assert RunConfig.create("mlp", "keras", mode="jit-on").deterministic is False
    cell = RunConfig.create("mlp", "torch", mode="compile", precision="bf16")
    assert cell.deterministic and RunConfig.from_json(cell.to_json()) == cell
    assert (
        cell.label == "mlp/torch/cpu/compile/bf16/seed0" and RunConfig.create("mlp", "tf").label == "mlp/tf/cpu/seed0"
    )


def test_old_records_read_as_their_mode():
    assert modes.of_record("tf", {"xla": False}, None) == ("graph", "fp32")
    assert modes.of_record("tf", {"xla": True}, None) == ("xla", "fp32")
    assert modes.of_record("keras", {"xla": True}, {}) == ("jit-on", "fp32")
    assert modes.of_record("torch", {}, {"mode": "compile", "precision": "bf16"}) == ("compile", "bf16")
    # Keras on JAX was recorded as jit-off before the modes were per engine; it ran jax.jit
    assert modes.of_record("keras[jax]", {}, {"mode": "jit-off", "engine": "jax"}) == ("jit-on", "fp32")


def test_keras_modes_follow_its_engine():
    """TensorFlow and PyTorch: jit off (the default) or on (XLA, torch.compile); JAX: jax.jit always,
    and the whole-epoch fit idiom for the supervised classifiers only."""
    assert modes.supported("mlp", "keras", "cpu")[0] == ("jit-off", "jit-on")
    assert modes.supported("mlp", "keras[torch]", "cpu")[0] == ("jit-off", "jit-on")
    assert modes.supported("mlp", "keras[jax]", "cpu")[0] == ("jit-on", "fit")
    assert modes.supported("dqn", "keras[jax]", "cpu")[0] == ("jit-on",)
    assert [modes.default(b) for b in ("keras", "keras[torch]", "keras[jax]")] == ["jit-off", "jit-off", "jit-on"]
    assert RunConfig.create("mlp", "keras", engine="jax").is_default_axes
    assert not RunConfig.create("mlp", "keras", engine="jax", mode="fit").is_default_axes


def test_every_backend_declares_a_default_among_its_modes_and_gpu_only_modes_stay_off_the_cpu():
    for backend, bm in modes.BACKENDS.items():
        assert bm.default in bm.names()
        cpu = modes.supported("mlp", backend, "cpu")[0]
        assert all(not bm.get(m).gpu_only for m in cpu)
    assert "reduce-overhead" in modes.supported("mlp", "torch", "gpu")[0]
    assert modes.supported("linreg", "tf", "cpu") == (("graph",), ("fp32",))


class _Spec:
    metric, higher_is_better = "accuracy", True

    def evaluate(self, learner, data, hp):
        return {"accuracy": 0.5}

    def reached(self, value):
        return False


def test_a_retrace_inside_a_timed_round_is_counted_and_flagged():
    tf = pytest.importorskip("tensorflow")
    learner = SimpleNamespace(fn=tf.function(lambda x: x * 2.0))
    rec = RunTracker(_Spec(), learner, None, {}, lambda: None, backend="tf")
    rec.timed_first(learner.fn, tf.ones([2]))  # the first trace: off the timed rounds
    rec.evaluate()
    learner.fn(tf.ones([2]))
    assert rec.end_round(1.0, 10, "in epoch 1")  # no new trace: nothing flagged
    learner.fn(tf.ones([3, 3]))  # a new shape: a retrace inside the round
    rec.end_round(1.0, 10, "in epoch 2")
    out = rec.finish("samples/s")
    assert out["compiles"]["in_timed_rounds"] == 1
    assert out["compiles"]["flagged"] == [{"where": "in epoch 2", "compiles": 1}]
    assert out["compiles"]["total"] == compiles.counter("tf", learner)() >= 2


def _result(backend, mode, precision, speed, compile_s, acc):
    r = Result("lenet5", backend, "cpu", 0, "quick", metric="accuracy", metrics={"accuracy": acc})
    r.hparams = {"batch_size": 100}
    r.compile_s = compile_s
    r.throughput = {"unit": "samples/s", "median": speed, "values": [speed * 0.9, speed, speed * 1.1]}
    r.card = {"backend": backend, "run_config": {"mode": mode, "precision": precision}}
    return r


def test_modes_table_marks_the_best_and_the_break_even():
    rows, line = modes_rows(
        [
            _result("torch", "eager", "fp32", 1000.0, 0.1, 0.91),
            _result("torch", "compile", "fp32", 2000.0, 10.1, 0.91),  # 0.05 s saved per step, 10 s dearer
            _result("torch", "compile-max", "fp32", 4000.0, 20.1, 0.50),  # fastest, but its quality fell
            _result("tf", "graph", "fp32", 1500.0, 2.0, 0.91),
            _result("tf", "xla", "fp32", 500.0, 9.0, 0.91),
        ]
    )
    by = {(r["backend"], r["mode"]): r for r in rows}
    assert by[("torch", "compile")]["break_even"] == "200"
    assert by[("tf", "xla")]["break_even"] == "never"
    assert by[("torch", "eager")]["break_even"] is None
    assert [k for k, r in by.items() if r["best"]] == [("tf", "graph"), ("torch", "compile")]
    assert line.startswith("best vs best: torch compile/fp32 2000 samples/s; tf graph/fp32 1500 samples/s")
    assert np.isclose(by[("tf", "graph")]["tp_iqr"], 150.0)
