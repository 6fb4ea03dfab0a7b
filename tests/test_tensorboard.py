"""TensorBoard event files written by the harness: readable by TensorFlow's own reader, and of the
same structure for every backend."""

import time

import pytest

from bench.reporting import tensorboard as tb
from bench.reporting.schema import CurvePoint, Result


def _read_with_tf(path):
    tf = pytest.importorskip("tensorflow")
    events = list(tf.compat.v1.train.summary_iterator(str(path)))
    scalars = {}
    for ev in events[1:]:
        for v in ev.summary.value:
            scalars.setdefault(v.tag, []).append((ev.step, v.simple_value))
    return events, scalars


def _events(logdir):
    (path,) = logdir.glob("events.out.tfevents.*")
    return path


def test_event_file_is_read_back_by_tensorflow(tmp_path):
    with tb.EventWriter(tmp_path) as w:
        w.scalars(0, {"loss": 2.5, "metric/acc": 0.25})
        w.scalars(10, {"loss": 1.25, "metric/acc": 0.5, "skipped": float("nan"), "flag": True})
    events, scalars = _read_with_tf(_events(tmp_path))
    assert events[0].file_version == "brain.Event:2"
    assert scalars["loss"] == [(0, 2.5), (10, 1.25)]
    assert scalars["metric/acc"] == [(0, 0.25), (10, 0.5)]
    assert "skipped" not in scalars and "flag" not in scalars


def test_events_reach_the_file_while_the_writer_is_open(tmp_path):
    """A running cell's curves can be watched: written events are flushed within FLUSH_S."""
    w = tb.EventWriter(tmp_path)
    w.scalars(3, {"x": 1.0})
    deadline = time.monotonic() + 5 * tb.FLUSH_S
    while True:
        _, scalars = _read_with_tf(_events(tmp_path))
        if scalars or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert scalars == {"x": [(3, 1.0)]}
    w.close()


def _result(backend):
    curve = [
        {
            "epoch": e,
            "step": 10 * e,
            "samples": 320 * e,
            "train_time_s": 0.1 * e,
            "loss": None if e == 0 else 1.0 / e,
            "nll": 2.0 - 0.1 * e,
            "slope": 1.5,
        }
        for e in range(4)
    ]
    return Result(
        "mle_normal",
        backend,
        "cpu",
        0,
        "quick",
        metric="nll",
        curve=curve,
        throughput={"unit": "samples/s", "values": [100.0, 110.0, 105.0]},
    )


def test_same_structure_for_every_backend(tmp_path):
    tags = {}
    for backend in ("tf", "torch", "keras"):
        logdir = tb.write_result(tmp_path, _result(backend))
        assert logdir == tmp_path / "mle_normal" / f"{backend}-cpu-seed0-quick"
        _, scalars = _read_with_tf(_events(logdir))
        tags[backend] = {k: [s for s, _ in v] for k, v in scalars.items()}
    assert tags["tf"] == tags["torch"] == tags["keras"]
    assert set(tags["tf"]) == {"loss", "time/train_s", "metric/nll", "metric/slope", "quality", "throughput/samples/s"}
    # a supervised run's x-axis is the epoch (bench.reporting.schema.X_AXES)
    assert tags["tf"]["loss"] == [1, 2, 3]  # no loss before the first step
    assert tags["tf"]["quality"] == [0, 1, 2, 3]


def test_rl_points_use_env_steps():
    # the point bench.train.rl hands to on_eval: step = environment steps so far
    point = CurvePoint.from_dict(
        {
            "step": 5000,
            "episodes": 12,
            "updates": 1200,
            "train_time_s": 3.0,
            "loss": 0.5,
            "train_return": None,
            "return": 180.0,
        }
    )
    assert tb.point_step(point, "rl") == 5000
    assert tb.point_step(point, "supervised") == 0  # an RL point has no epoch
    assert tb.point_scalars(point, "return") == {
        "loss": 0.5,
        "time/train_s": 3.0,
        "progress/episodes": 12,
        "progress/updates": 1200,
        "metric/return": 180.0,
        "quality": 180.0,
    }


def test_bench_run_tensorboard_writes_events(tmp_path):
    """A real (tiny) cell through the runner with RunConfig.tensorboard set."""
    from bench.config import RunConfig
    from bench.train.runner import measure_cell

    cell = RunConfig.create(
        "linreg",
        "numpy",
        seed=0,
        budget="quick",
        overrides={"epochs": "20", "eval_every": "5"},
        tensorboard=str(tmp_path / "tb"),
    )
    result = measure_cell(cell)
    assert result.status == "ok", result.error
    _, scalars = _read_with_tf(_events(tmp_path / "tb" / "linreg" / "numpy-cpu-seed0-quick"))
    assert result.kind == "supervised"
    assert [s for s, _ in scalars["quality"]] == [p.epoch for p in result.curve] == [0, 5, 10, 15, 20]
    assert scalars["quality"][-1][1] == pytest.approx(result.value, rel=1e-6)
    assert len(scalars["throughput/samples/s"]) == result.throughput["n"]
