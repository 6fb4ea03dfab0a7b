"""``bench speed``: interleaved rounds, the record, the ratio's interval, and bad input.

The workers here train linear regression on the numpy reference backend and on PyTorch (quick
settings): fast to start, so the whole file takes seconds, not minutes. What is checked is the
method (alignment of the rounds, their order, the record, a dead worker), not speed figures: those
are measured by ``bench speed`` runs on a quiet machine (docs/speed.md).
"""

from __future__ import annotations

import json
import os
import stat
import sys

import numpy as np
import pytest

from bench.cli import main as cli
from bench.config import RunConfig
from bench.execute import side_by_side as speed
from bench.reporting import speed_stats as speed_records

QUICK = ["--budget", "quick", "--rounds", "4", "--steps", "20", "--warmup-seconds", "0.2"]


def _run(tmp_path, *argv, env=None, monkeypatch=None):
    if env and monkeypatch is not None:
        for k, v in env.items():
            monkeypatch.setenv(k, v)
    return cli.main(["speed", *argv, "--results-dir", str(tmp_path)])


def _record(tmp_path) -> dict:
    (path,) = sorted((tmp_path / "speed").glob("speed-*.json"))
    return json.loads(path.read_text())


def test_two_configurations_interleave_in_a_fresh_order_and_the_record_has_every_round(tmp_path, capsys):
    assert _run(tmp_path, "--algo", "linreg", "--backend", "numpy,torch", *QUICK, "--rounds", "6") == 0
    rec = _record(tmp_path)
    assert rec["status"] == "finished" and rec["kind"] == "speed"
    assert [c["status"] for c in rec["configs"]] == ["ok", "ok"]
    for c in rec["configs"]:
        assert len(c["rounds"]) == 6 and all(r["samples"] == 20 * c["batch"] for r in c["rounds"])
        assert all(0 < r["inside"] <= r["loop"] <= r["seconds"] for r in c["rounds"])
        assert c["compile_s"] > 0 and c["versions"]
    labels = [c["label"] for c in rec["configs"]]
    assert all(sorted(o) == sorted(labels) for o in rec["order"]) and len(rec["order"]) == 6
    summary = rec["summary"]
    assert summary["configs"][labels[1]]["reference"] == labels[0]
    ratio = summary["configs"][labels[1]]["ratio"]
    rates = [
        [r["samples"] / r["seconds"] for r in c["rounds"]] for c in rec["configs"]
    ]  # the ratio is the median of the per-round ratios
    assert ratio["median"] == pytest.approx(float(np.median(np.divide(rates[1], rates[0]))))
    assert ratio["lo"] <= ratio["median"] <= ratio["hi"] and ratio["n"] == 6
    out = capsys.readouterr().out
    assert "reference" in out and labels[1] in out


def test_the_record_is_in_the_history_and_the_report(tmp_path, capsys):
    from bench.reporting.history import History

    assert _run(tmp_path, "--algo", "linreg", "--backend", "numpy,torch", *QUICK) == 0
    rec = _record(tmp_path)
    with History(tmp_path / "history.sqlite") as h:
        rows = h.speed(rec["session"])
    assert list(rows["label"]) == [c["label"] for c in rec["configs"]]
    assert rows["median"].notna().all() and rows["ratio"].notna().tolist() == [False, True]
    assert cli.main(["report", str(tmp_path), "--out", str(tmp_path / "rep"), "--no-progress"]) == 0
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "## Side-by-side speed" in md and rec["session"] in md and "linreg/torch/cpu/seed0" in md
    assert "Side-by-side speed" in (tmp_path / "rep" / "report.html").read_text()
    capsys.readouterr()
    assert cli.main(["history", "--db", str(tmp_path / "history.sqlite"), "list"]) == 0
    assert f"{rec['session']} (bench speed" in capsys.readouterr().out


def test_copies_make_a_self_ab_and_the_reference_can_be_chosen(tmp_path):
    assert _run(tmp_path, "--algo", "linreg", "--backend", "numpy", "--copies", "2", *QUICK,
                "--reference", "linreg/numpy/cpu/seed0#2") == 0  # fmt: skip
    rec = _record(tmp_path)
    assert [c["label"] for c in rec["configs"]] == ["linreg/numpy/cpu/seed0#1", "linreg/numpy/cpu/seed0#2"]
    assert rec["summary"]["reference"] == "linreg/numpy/cpu/seed0#2"
    assert rec["summary"]["configs"]["linreg/numpy/cpu/seed0#1"]["reference"] == "linreg/numpy/cpu/seed0#2"
    assert "ratio" in rec["summary"]["configs"]["linreg/numpy/cpu/seed0#1"]


def test_a_worker_that_dies_mid_round_is_reported_failed_and_the_others_rounds_are_kept(tmp_path, monkeypatch, capsys):
    # the torch worker's process is killed at its 3000th train step: in its second round (1
    # compile step, a 1 ms warm-up of a few dozen steps at most, then 2000 steps a round)
    monkeypatch.setenv("BENCH_FAULT", "crash:torch@3000")
    code = _run(tmp_path, "--algo", "linreg", "--backend", "numpy,torch", *QUICK, "--steps", "2000",
                "--warmup-seconds", "0.001")  # fmt: skip
    assert code == 1
    rec = _record(tmp_path)
    numpy_, torch_ = rec["configs"]
    assert numpy_["status"] == "ok" and all(numpy_["rounds"]) and len(numpy_["rounds"]) == 4
    assert [r is not None for r in torch_["rounds"]] == [True, False, False, False]
    assert torch_["status"] == "failed" and "signal 9" in torch_["error"] and "in round" in torch_["error"]
    assert "in round 2" in torch_["error"]  # what it measured before it died is kept
    err = capsys.readouterr().err
    assert "1 configuration(s) failed: linreg/torch/cpu/seed0" in err


def test_ratio_interval_covers_the_true_ratio_and_narrows_with_rounds():
    rng = np.random.default_rng(1)
    few = speed_records.ratio_interval(1.1 * np.exp(rng.normal(0, 0.05, 10)), seed=0)
    many = speed_records.ratio_interval(1.1 * np.exp(rng.normal(0, 0.05, 200)), seed=0)
    assert few["lo"] < 1.1 < few["hi"] and many["lo"] < 1.1 < many["hi"]
    assert many["hi"] - many["lo"] < few["hi"] - few["lo"]
    assert speed_records.ratio_interval([1.0, 2.0])["lo"] is None  # too few rounds for an interval
    assert speed_records.ratio_interval([])["median"] is None


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--algo", "nosuch"], "unknown algorithm"),
        (["--algo", "dqn", "--backend", "torch"], "not supervised"),
        (["--algo", "linreg", "--rounds", "2"], "--rounds must be at least 3"),
        (["--algo", "linreg", "--cpus", "999"], "not available here"),
        (["--algo", "linreg", "--reference", "nope"], "no such configuration"),
        (["--algo", "linreg", "--python", "x=/no/such/python"], "/no/such/python"),
        (["--algo", "linreg", "--python", "=oops"], "--python"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_before_any_worker_starts(tmp_path, capsys, argv, words):
    assert cli.main(["speed", *argv, "--results-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err
    assert not (tmp_path / "speed").exists() or not list((tmp_path / "speed").glob("*.json"))


def test_a_broken_python_environment_is_refused(tmp_path, capsys):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    assert cli.main(["speed", "--algo", "linreg", "--python", f"broken={fake}", "--results-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(fake) in err


def test_a_worker_under_another_python_runs_this_checkouts_code(tmp_path):
    """Two environments (both this interpreter, under two names): the labels name them."""
    assert _run(tmp_path, "--algo", "linreg", "--backend", "numpy", "--python", "this",
                "--python", f"again={sys.executable}", *QUICK) == 0  # fmt: skip
    rec = _record(tmp_path)
    assert [c["label"] for c in rec["configs"]] == ["linreg/numpy/cpu/seed0@this", "linreg/numpy/cpu/seed0@again"]
    assert [c["env"] for c in rec["configs"]] == ["this", "again"]
    assert rec["summary"]["paired_by_cell"]  # each cell against itself under the first environment
    assert rec["summary"]["configs"]["linreg/numpy/cpu/seed0@again"]["reference"] == "linreg/numpy/cpu/seed0@this"


def test_configs_of_names_environments_and_copies():
    cell = RunConfig.create("linreg", "numpy", budget="quick")
    one = speed.configs_of([cell], [("this", sys.executable)])
    assert [c.label for c in one] == ["linreg/numpy/cpu/seed0"]
    two = speed.configs_of([cell], [("a", "x"), ("b", "y")], copies=2)
    assert [c.label for c in two] == [
        "linreg/numpy/cpu/seed0@a#1",
        "linreg/numpy/cpu/seed0@a#2",
        "linreg/numpy/cpu/seed0@b#1",
        "linreg/numpy/cpu/seed0@b#2",
    ]
    assert os.access(one[0].python, os.X_OK)


# the gate's side-by-side speed -----------------------------------------------------------------
def _git_head() -> bool:
    import subprocess

    got = subprocess.run(["git", "rev-parse", "--verify", "HEAD"], cwd=speed.ROOT, capture_output=True)
    return got.returncode == 0


needs_git = pytest.mark.skipif(not _git_head(), reason="not a git checkout with a HEAD commit")


@needs_git
def test_the_gate_runs_the_baseline_code_in_a_worktree_side_by_side_and_removes_it(tmp_path):
    import subprocess

    from bench.execute import gate

    cells = [RunConfig.create("linreg", "numpy", budget="quick")]
    # the current side's step made twice as slow: caught, whatever the machine's load
    rows = gate.speed_side_by_side(cells, "HEAD", tmp_path, inject=("numpy", 1.0), rounds=8, round_s=0.05)
    assert [r["cell"] for r in rows] == ["linreg/numpy"] and rows[0]["n"] == 8
    assert rows[0]["verdict"] == "SLOWER" and rows[0]["hi"] < 0.97, rows
    rec = json.loads((tmp_path / "speed.json").read_text())
    roots = {c["env"]: c["root"] for c in rec["configs"]}
    assert roots["baseline"] == str(tmp_path / "baseline-code") and roots["current"] == str(speed.ROOT)
    assert rec["baseline_commit"] and rec["injected"] == ["numpy", 1.0]
    assert not (tmp_path / "baseline-code").exists()  # the worktree is removed, and git forgets it
    listed = subprocess.run(["git", "worktree", "list"], cwd=speed.ROOT, capture_output=True, text=True).stdout
    assert str(tmp_path) not in listed


def test_the_gate_without_the_baseline_code_says_so(tmp_path):
    from bench.execute import gate

    cells = [RunConfig.create("linreg", "numpy", budget="quick")]
    with pytest.raises(gate.NoBaselineCode, match="no commit 'no-such-ref-xyz'"):
        gate.speed_side_by_side(cells, "no-such-ref-xyz", tmp_path)


@pytest.mark.parametrize("text", ["torch", "torch=", "=0.1", "torch=-1", "torch=abc"])
def test_the_gate_refuses_a_bad_injection(text):
    from bench.core.errors import BenchError
    from bench.execute import gate

    with pytest.raises(BenchError, match="BACKEND=FRACTION"):
        gate.parse_injection(text)


def test_the_slowdown_fault_makes_every_step_that_much_slower(monkeypatch):
    import time

    from bench.core import faults

    monkeypatch.setenv("BENCH_FAULT", "slowdown:torch=0.5")

    def step(x, y):
        time.sleep(0.002)
        return 0.0

    slowed = faults.wrap(step, "torch")
    t0 = time.perf_counter()
    slowed(None, None)
    assert time.perf_counter() - t0 >= 0.003  # at least the step and half of it again
    assert faults.wrap(step, "tf") is step  # another backend's step is left alone
