"""Exit statuses and one-line messages: bench curves and bench rl-summary name an unknown algorithm
and suggest the nearest names (exit 2); a history database another process holds locked is waited
for (bench.reporting.history.LOCK_TIMEOUT_S), and only a lock held past the wait is a one-line error
(exit 2), with the results already on disk kept."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_bad_input import NUMPY, assert_usage, run

from bench.reporting import history, store
from bench.reporting.schema import Result


def _curve_run(d, algo, seed=0):
    curve = [{"epoch": e, "step": e, "param_dist": 1.0 / (e + 1)} for e in range(4)]
    store.save(Result(algo, "numpy", "cpu", seed, "quick", status="ok", curve=curve), d)


def _rl_run(d, algo="dqn", seed=0):
    store.save(
        Result(
            algo,
            "torch",
            "cpu",
            seed,
            "quick",
            status="ok",
            target=195.0,
            target_reached=True,
            time_to_target_s=10.0,
            steps_to_target=3000,
            metrics={"eval_return": 200.0, "mean_eval_return": 90.0},
            throughput={"unit": "env steps/s", "median": 800.0},
        ),
        d,
    )


# bench curves and bench rl-summary: an unknown algorithm ------------------------------------------------
def test_curves_names_an_unknown_algorithm_and_the_nearest(tmp_path, capsys):
    for algo in ("linreg", "mle_normal"):
        _curve_run(tmp_path, algo)
    code, _, err = run(capsys, "curves", "linre", "mle_normal", tmp_path, "--metric", "param_dist")
    assert_usage(code, err, "unknown algorithm 'linre'; did you mean linreg?")
    assert f"algorithms with results in {tmp_path}: linreg, mle_normal" in err
    code, _, err = run(capsys, "curves", "linreg", "mle_normall", tmp_path, "--metric", "param_dist")
    assert_usage(code, err, "unknown algorithm 'mle_normall'; did you mean mle_normal")
    assert run(capsys, "curves", "linreg", "mle_normal", tmp_path, "--metric", "param_dist")[0] == 0


def test_curves_of_a_known_algorithm_without_results_says_so(tmp_path, capsys):
    _curve_run(tmp_path, "linreg")
    code, _, err = run(capsys, "curves", "linreg", "mle_hetero", tmp_path, "--metric", "param_dist")
    assert_usage(code, err, f"no results of algorithm 'mle_hetero' in {tmp_path}")
    assert "(algorithms with results there: linreg)" in err


def test_curves_of_a_name_like_no_other_still_says_what_is_missing(tmp_path, capsys):
    _curve_run(tmp_path, "linreg")
    code, _, err = run(capsys, "curves", "linreg", "zzz", tmp_path, "--metric", "param_dist")
    assert_usage(code, err, "unknown algorithm 'zzz': no (backend, device, seed) has finished runs of both")


def test_rl_summary_narrows_to_named_algorithms_and_names_an_unknown_one(tmp_path, capsys):
    _rl_run(tmp_path, "dqn")
    _rl_run(tmp_path, "double_dqn")
    code, out, err = run(capsys, "rl-summary", tmp_path, "--algo", "dqn")
    assert code == 0, err
    assert "| dqn | torch |" in out and "double_dqn" not in out
    code, _, err = run(capsys, "rl-summary", tmp_path, "--algo", "dqnn")
    assert_usage(code, err, "unknown algorithm 'dqnn'; did you mean dqn")
    code, _, err = run(capsys, "rl-summary", tmp_path, "--algo", "dqn,reinforce")
    assert_usage(code, err, f"no results of algorithm 'reinforce' in {tmp_path}")


# a busy history database ---------------------------------------------------------------------------
HOLD = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
c.execute("COMMIT")
"""


def _hold_lock(db: Path, seconds: float) -> subprocess.Popen:
    """Another process holding a write lock on ``db`` (BEGIN EXCLUSIVE) for ``seconds``."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def _fake_result(cell) -> Result:
    return Result(
        cell.algo,
        cell.backend,
        cell.device,
        cell.seed,
        cell.budget,
        metric=cell.spec.metric,
        metrics={cell.spec.metric: 0.5},
        hparams=dict(cell.hp),
        overrides=dict(cell.overrides),
        kind=cell.spec.kind,
        throughput={"unit": "samples/s", "median": 100.0, "p25": 90.0, "p75": 110.0, "n": 2, "values": [90.0, 110.0]},
    )


@pytest.fixture
def fake_cells(monkeypatch):
    """No cell process: every cell 'finishes ok' at once; the list holds the cells started."""
    started = []

    def fake(cell, timeout_s=None):
        started.append(cell)
        return _fake_result(cell)

    monkeypatch.setattr("bench.execute.matrix.spawn", fake)
    return started


@pytest.fixture
def runs(tmp_path):
    """A results directory with its history database and a result of an earlier run."""
    d = tmp_path / "runs"
    earlier = store.save(Result("linreg", "numpy", "cpu", 7, "quick", status="ok"), d)
    with history.History(d / "history.sqlite") as h:
        h.add([store.load(earlier)])
    return d


def test_every_connection_waits_for_the_stated_timeout(tmp_path):
    assert history.LOCK_TIMEOUT_S >= 30
    with history.History(tmp_path / "h.sqlite") as h:
        assert h.conn.execute("PRAGMA busy_timeout").fetchone()[0] == int(history.LOCK_TIMEOUT_S * 1000)


def test_bench_run_waits_for_a_lock_held_a_few_seconds(runs, fake_cells, capsys, monkeypatch):
    monkeypatch.setattr(history, "LOCK_TIMEOUT_S", 20.0)
    holder = _hold_lock(runs / "history.sqlite", 2.0)
    start = time.monotonic()
    try:
        code, _, err = run(capsys, "run", *NUMPY, "--results-dir", runs)
    finally:
        holder.wait(timeout=30)
    assert code == 0, err
    assert time.monotonic() - start >= 1.5  # it waited for the lock
    assert f"history database {runs / 'history.sqlite'} is locked by another process; waiting for it" in err
    assert "error" not in err and len(fake_cells) == 1
    with history.History(runs / "history.sqlite", create=False) as h:
        assert sorted(r.seed for r in h.results()) == [0, 7]  # recorded after the wait


def test_a_lock_held_past_the_timeout_is_one_line_and_keeps_what_is_on_disk(runs, fake_cells, capsys, monkeypatch):
    monkeypatch.setattr(history, "LOCK_TIMEOUT_S", 0.3)
    on_disk = {p: p.read_bytes() for p in runs.iterdir()}
    holder = _hold_lock(runs / "history.sqlite", 2.0)
    try:
        code, out, err = run(capsys, "run", *NUMPY, "--results-dir", runs)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    lines = [line for line in err.splitlines() if not line.startswith("bench: history database ")]
    assert_usage(code, "\n".join(lines) + "\n", "is locked by another process: waited 0.3 s")
    assert "(bench.reporting.history.LOCK_TIMEOUT_S)" in err and "--no-history" in err
    assert not fake_cells and out == ""  # refused before any cell started
    assert {p: p.read_bytes() for p in runs.iterdir()} == on_disk  # nothing lost, nothing added


def test_a_lock_that_outlasts_the_wait_while_recording_keeps_the_result_files(tmp_path):
    writer = history.HistoryWriter(tmp_path / "h.sqlite")
    writer.history.timeout_s = 0.2
    writer.history.conn.execute("PRAGMA busy_timeout = 200")
    holder = _hold_lock(tmp_path / "h.sqlite", 1.5)
    try:
        assert writer.add(Result("linreg", "numpy", "cpu", 0, "quick", status="ok")) is False
    finally:
        holder.kill()
        holder.wait(timeout=30)
        writer.close()
    assert writer.problem == "locked by another process for over 0.2 s"
