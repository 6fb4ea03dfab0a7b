"""The run configuration: built and validated once in the parent, frozen, and carried to the
cell without being resolved again; impossible settings are one line and exit 2 before any cell
starts; the machine's load goes on every card."""

import dataclasses
import json
import os
import subprocess
import sys
import time

import pytest

from bench.cli import main as cli
from bench.config import SCHEMA_VERSION, RunConfig
from bench.core import machine_load as load
from bench.core.errors import BenchError

# (arguments, what the one line must name): each exits 2 before any cell starts
IMPOSSIBLE = [
    (["--algo", "resnet10", "--set", "blocks=-1"], "'blocks' = -1 is out of range: it must be >= 0"),
    (["--algo", "resnet10", "--set", "kernel_size=4"], "'kernel_size' = 4 must be odd"),
    (["--algo", "resnet10", "--set", "conv2_filters=32"], "'conv2_filters' = 32 must equal 'block_filters'"),
    (["--algo", "mlp", "--set", "hidden=0"], "'hidden' = 0 is out of range: it must be >= 1"),
    (["--algo", "lenet5", "--set", "epochs=0"], "'epochs' = 0 is out of range: it must be >= 1"),
    (["--algo", "mlp", "--set", "lr=-0.1"], "'lr' = -0.1 is out of range: it must be > 0"),
    (["--algo", "mlp", "--set", "lr=nan"], "'lr' = nan is out of range"),
    (["--algo", "mlp", "--set", "lr=inf"], "'lr' = inf is out of range"),
    (["--algo", "lenet5", "--set", "batch_size=0"], "'batch_size' = 0 is out of range: it must be >= 1"),
    (["--algo", "lenet5", "--set", "batch_size=-5"], "'batch_size' = -5 is out of range"),
    (["--algo", "gap_head_gap", "--set", "tail=mean"], "'tail' = 'mean': choose from: gap, fc"),
    (["--algo", "gap_head_fc", "--set", "dropout=1.5"], "'dropout' = 1.5 is out of range: it must be in [0, 1)"),
    (["--algo", "mlp", "--set", "optimizer=rmsprop"], "'optimizer' = 'rmsprop'; choose from: adam, adam-native, sgd"),
    (["--algo", "mlp", "--threads", "0"], "threads must be at least 1"),
    (["--algo", "mlp", "--seed", "-1"], "seed must be 0 or more"),
]


@pytest.mark.parametrize("args,message", IMPOSSIBLE, ids=[" ".join(a[1:]) for a, _ in IMPOSSIBLE])
def test_impossible_setting_is_one_line_and_exit_2(args, message, tmp_path, capsys, monkeypatch):
    started = []
    monkeypatch.setattr("bench.execute.matrix.spawn", lambda *a, **k: started.append(a))
    code = cli.main(["run", *args, "--results-dir", str(tmp_path), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and not started and not list(tmp_path.iterdir())
    assert err.count("\n") == 1 and message in err, err


def test_created_once_frozen_and_typed():
    cfg = RunConfig.create("mlp", "torch", seed=3, budget="quick", overrides={"hidden": "64", "lr": "0.01"})
    assert cfg.hparams["hidden"] == 64 and cfg.hparams["lr"] == 0.01
    assert cfg.overrides == {"hidden": 64, "lr": 0.01} and cfg.threads == cfg.spec.threads == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.seed = 4
    with pytest.raises(TypeError):
        cfg.hparams["lr"] = 1.0
    hp = cfg.hp  # the learner's copy: mutable, and not the record's
    hp["lr"] = 1.0
    assert cfg.hparams["lr"] == 0.01


def test_serialised_round_trip_keeps_tuples_and_resolves_nothing(monkeypatch):
    cfg = RunConfig.create("double_dqn", "torch", overrides={"hidden": "64,32"}, tensorboard="tb")
    data = json.loads(cfg.to_json())
    assert data["schema"] == SCHEMA_VERSION and data["hparams"]["hidden"] == [64, 32]

    def no_resolve(*a, **k):
        raise AssertionError("a cell must not resolve its settings again")

    monkeypatch.setattr("bench.specs.base.Spec.resolve", no_resolve)
    back = RunConfig.from_json(cfg.to_json())
    assert back == cfg and back.hparams["hidden"] == (64, 32) and back.tensorboard == "tb"


def test_unknown_backend_for_algorithm_is_refused_at_creation():
    with pytest.raises(BenchError, match="has no numpy implementation"):
        RunConfig.create("lenet5", "numpy")


def _spin_elsewhere(seconds: float) -> int:
    """A CPU-bound process that is *not* this process's descendant (a shell starts it in the
    background and exits), as other work on the machine would be; returns its pid."""
    code = f"import time\nt = time.time()\nwhile time.time() - t < {seconds}: pass"
    out = subprocess.run(
        ["sh", "-c", f'"{sys.executable}" -c "$0" >/dev/null 2>&1 & echo $!', code],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


def _wait_gone(pid: int, timeout: float) -> None:
    end = time.time() + timeout
    while os.path.exists(f"/proc/{pid}") and time.time() < end:
        time.sleep(0.05)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
def test_load_summary_sees_a_busy_core():
    """A CPU-bound process beside the measuring one shows as about one other busy core."""
    pid = _spin_elsewhere(3)
    try:
        time.sleep(0.3)
        assert pid not in load._own_pids()
        start = load.snapshot()
        time.sleep(1.5)
        summary = load.summarise(start, load.snapshot())
    finally:
        _wait_gone(pid, 5)
    assert summary["busy"] is True and summary["other_cores"] >= 0.7, summary
    assert len(summary["loadavg_start"]) == 3


def test_load_summary_counts_own_children_as_the_cell():
    """A child of the measuring process is the cell's own work (a framework's helper), not load."""
    child = subprocess.Popen([sys.executable, "-c", "import time\nt = time.time()\nwhile time.time() - t < 2: pass"])
    try:
        time.sleep(0.3)
        assert child.pid in load._own_pids()
    finally:
        child.wait()
