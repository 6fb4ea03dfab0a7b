"""Steady-state timing: only shape-stable steps are timed, every timed step is recorded, and a
step far slower than its round's median is counted and named on the config card."""

import numpy as np

from bench.config import RunConfig
from bench.train.runner import measure_cell
from bench.train.tracking import STALL_FACTOR, RunTracker


def test_short_last_batch_trains_off_the_clock():
    cfg = RunConfig.create("mle_hetero", "numpy", overrides={"epochs": "6", "eval_every": "2", "batch_size": "48"})
    r = measure_cell(cfg)
    assert r.status == "ok", r.error
    n = r.curve[-1].samples // cfg.hparams["epochs"]
    full, tail = divmod(n, 48)
    assert tail, "the case needs a short last batch"
    st = r.card.stalls
    # every full batch but the first (the compile step) is timed; the short ones are not
    assert st["timed_steps"] == cfg.hparams["epochs"] * full - 1
    assert st["untimed_s"] > 0 and r.steps == cfg.hparams["epochs"] * (full + 1)
    assert r.card.load is not None and "other_cores" in r.card.load


class _Spec:
    metric, target = "m", None

    def evaluate(self, *a):
        return {"m": 0.0}

    def reached(self, value):
        return False


def test_a_step_ten_times_the_median_is_counted_and_named():
    rec = RunTracker(_Spec(), None, None, {}, lambda: None)
    rec.step_times = [1e-3] * 20 + [STALL_FACTOR * 1.5e-3] + [1e-3] * 5
    rec.losses = [np.float32(1.0)]
    rec.end_round(0.05, 100, "in epoch 3")
    st = rec.finish("samples/s")["stalls"]
    assert st["count"] == 1 and st["timed_steps"] == 26
    assert st["first"][0]["where"] == "in epoch 3" and st["first"][0]["step_in_round"] == 20
    assert abs(st["worst_ratio"] - 15.0) < 1e-9
    rec.step_times = [1e-3] * 10 + [5e-3]  # 5x: not a stall
    rec.end_round(0.05, 100, "in epoch 4")
    assert rec.finish("samples/s")["stalls"]["count"] == 1
