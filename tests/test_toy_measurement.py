"""A kind of measurement is added in one place: a toy one, "the loss after 5 more train steps",
defined in a temporary plug-in module (as tests/test_toy_algorithm.py adds an algorithm), appears
in ``bench run``'s record, in ``bench speed`` as a rate and in the report, with no file of the
suite edited."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = "toy_measure"
SOURCE = '''
"""A toy measurement: the training loss after 5 more train steps on the first batch."""
import numpy as np

from bench.train.measurements import Measurement, register

STEPS = 5


def _batch(ctx):
    n = ctx.hp.get("batch_size") or len(ctx.data.x_train)
    return ctx.data.x_train[:n], ctx.data.y_train[:n]


def loss_after(ctx):
    x, y = _batch(ctx)
    for _ in range(STEPS):
        loss = ctx.learner.train_step(x, y)
    ctx.sync()
    return float(np.asarray(loss))


register(
    Measurement(
        "loss_after_5",
        unit="mse",
        after_training=loss_after,
        rate=lambda ctx: (lambda: loss_after(ctx), STEPS),
        rate_unit="train steps/s",
    )
)
'''
FAST = ["--algo", "linreg", "--backend", "numpy", "--set", "epochs=40", "--set", "eval_every=10"]


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory):
    where = tmp_path_factory.mktemp("measure_plugin")
    (where / f"{PLUGIN}.py").write_text(SOURCE)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(where), os.environ.get("PYTHONPATH")])))
    env["BENCH_PLUGINS"] = PLUGIN
    return env


def bench(env, *argv, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "bench", *map(str, argv)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_toy_measurement_is_in_the_run_record_the_speed_record_and_the_report(plugin_env, tmp_path):
    runs = tmp_path / "runs"
    got = bench(plugin_env, "run", *FAST, "--results-dir", runs, "--no-history", "--no-progress")
    assert got.returncode == 0, got.stderr
    (record,) = [json.loads(p.read_text()) for p in runs.glob("*.json")]
    m = record["measurements"]["loss_after_5"]
    assert m["unit"] == "mse" and 0 < m["value"] < record["metrics"].get("train_loss", float("inf")) * 10
    got = bench(
        plugin_env,
        "speed",
        *FAST,
        "--measure",
        "loss_after_5",
        "--rounds",
        3,
        "--round-seconds",
        0.05,
        "--warmup-seconds",
        0.1,
        "--results-dir",
        runs,
        "--no-history",
    )
    assert got.returncode == 0, got.stderr
    (speed,) = [json.loads(p.read_text()) for p in (runs / "speed").glob("*.json")]
    (config,) = speed["configs"]
    assert config["measure"] == "loss_after_5" and config["status"] == "ok"
    assert [r["samples"] for r in config["rounds"]] == [config["steps"] * 5] * 3  # 5 train steps a call
    assert "loss_after_5" in got.stdout  # the table names what was timed
    out = tmp_path / "report"
    got = bench(plugin_env, "report", runs, "--out", out, "--no-progress")
    assert got.returncode == 0, got.stderr
    md = (out / "report.md").read_text()
    assert "Measurements (bench.train.measurements)" in md and "loss_after_5" in md
    assert "loss_after_5" in (out / "report.html").read_text()


def test_a_measurement_that_is_unknown_or_absent_is_one_line_before_any_worker(plugin_env, tmp_path):
    for env, name in ((plugin_env, "nope"), (dict(plugin_env, BENCH_PLUGINS=""), "loss_after_5")):
        got = bench(env, "speed", *FAST, "--measure", name, "--rounds", 3, "--results-dir", tmp_path, "--no-history")
        assert got.returncode == 2, got.stderr
        assert got.stderr.strip().splitlines() == [got.stderr.strip()]
        assert f"unknown measurement '{name}'" in got.stderr
        assert not (tmp_path / "speed").exists() or not list((tmp_path / "speed").glob("*.json"))
