"""Bad input and faults, class by class: each case asserts the exit status, the message, and that
nothing measured was lost and nothing was polluted (no result file, no history row, no report
where none belongs).

Cells that must really run use the numpy reference backend with tiny settings; where no cell
needs to run, ``bench.execute.matrix.spawn`` is replaced by a stand-in that returns a Result at once
(the ``fake_cells`` fixture), so the whole command line runs in milliseconds.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import sigint_default

from bench import specs
from bench.cli.main import main
from bench.config import RunConfig
from bench.core.data import catalog, files
from bench.core.errors import BenchError
from bench.execute.matrix import finished
from bench.plan import tour
from bench.reporting import history, store as results
from bench.reporting.schema import STATUSES, Result

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--set", "epochs=20", "--set", "eval_every=5"]
NUMPY = ["--algo", "linreg", "--backend", "numpy", *TINY, "--no-progress"]


# helpers ------------------------------------------------------------------------------------------
def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_usage(code, err, message):
    """One line on stderr, 'bench: error: ...' with ``message``, exit 2, no traceback."""
    assert code == 2, err
    assert err.startswith("bench: error: ") and err.count("\n") == 1, err
    assert message in err, err
    assert "Traceback" not in err


def json_files(d: Path) -> list[Path]:
    return sorted(Path(d).glob("*.json")) if Path(d).is_dir() else []


def history_rows(db: Path) -> list[Result]:
    if not db.exists():
        return []
    with history.History(db, create=False) as h:
        return h.results()


def fake_result(cell) -> Result:
    spec = cell.spec
    return Result(
        cell.algo,
        cell.backend,
        cell.device,
        cell.seed,
        cell.budget,
        metric=spec.metric,
        metrics={spec.metric: 0.5},
        hparams=dict(cell.hp),
        overrides=dict(cell.overrides),
        kind=spec.kind,
        throughput={
            "unit": "samples/s",
            "median": 100.0,
            "p25": 90.0,
            "p75": 110.0,
            "n": 3,
            "values": [90.0, 100.0, 110.0],
        },
    )


class _Ended:
    """A process that has ended well (the tour's parity process, faked)."""

    returncode = 0

    def wait(self, timeout=None):
        return 0

    def poll(self):
        return 0

    def kill(self):
        pass


@pytest.fixture
def fake_cells(monkeypatch):
    """No cell process: every cell 'finishes ok' at once; the list holds the cells started. The
    tour's parity process and speed rounds are measurements too: faked (no rows, no record)."""
    started = []

    def fake(cell, timeout_s=None):
        started.append(cell)
        return fake_result(cell)

    def fake_parity(algos, backends, out):
        out.write_text(json.dumps({"rows": [], "errors": {"*": "faked"}}))
        return _Ended()

    monkeypatch.setattr("bench.execute.matrix.spawn", fake)
    monkeypatch.setattr("bench.execute.tour.start_parity", fake_parity)
    monkeypatch.setattr("bench.execute.tour.speed", lambda *a, **k: [])
    return started


@pytest.fixture
def no_data(tmp_path, monkeypatch):
    """A fresh machine: no data directory, no Keras cache, an empty suite cache, no downloads."""
    monkeypatch.delenv("BENCH_DATA_DIR", raising=False)
    monkeypatch.setenv("BENCH_OFFLINE", "1")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(files, "CACHE", tmp_path / "cache")
    return tmp_path


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """The working directory is a fresh temporary one (default paths land there)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BENCH_RESULTS_DIR", raising=False)
    return tmp_path


# 1. output paths checked before any cell -----------------------------------------------------------
def _file(tmp_path):
    f = tmp_path / "a_file"
    f.write_text("not a directory")
    return f


@pytest.mark.parametrize(
    "option,value,message",
    [
        ("--results-dir", "{file}", "--results-dir {file} is a file, not a directory"),
        ("--results-dir", "{file}/sub", "--results-dir {file}/sub cannot be created: {file} is a file"),
        ("--results-dir", "", "--results-dir is empty: give a path"),
        ("--results-dir", "/proc/no-such-dir/runs", "--results-dir /proc/no-such-dir/runs cannot be created in /proc"),
        ("--db", "{tmp}", "is a directory; give a file"),
        ("--db", "", "--db is empty: give a path"),
        ("--db", "{file}/h.sqlite", "the directory of --db {file} is a file, not a directory"),
        ("--tensorboard", "{file}", "--tensorboard {file} is a file, not a directory"),
        ("--tensorboard", "", "--tensorboard is empty: give a path"),
    ],
)
def test_unwritable_output_is_refused_before_any_cell(tmp_path, capsys, fake_cells, option, value, message):
    f = _file(tmp_path)
    value, message = (s.format(file=f, tmp=tmp_path) for s in (value, message))
    out_dir = tmp_path / "runs"
    argv = [*NUMPY, option, value] + ([] if option == "--results-dir" else ["--results-dir", out_dir])
    code, out, err = run(capsys, "run", *argv)
    assert_usage(code, err, message)
    assert not fake_cells and not out_dir.exists() and out == ""


def test_report_out_on_a_file_is_refused_and_leaves_it(tmp_path, capsys):
    results.save(fake_result_for("linreg", "numpy"), tmp_path / "runs")
    target = tmp_path / "report.md"
    target.write_text("keep me")
    code, _, err = run(capsys, "report", tmp_path / "runs", "--out", target, "--no-progress")
    assert_usage(code, err, f"--out {target} is a file, not a directory")
    assert target.read_text() == "keep me"


def test_report_out_under_a_file_is_refused(tmp_path, capsys):
    results.save(fake_result_for("linreg", "numpy"), tmp_path / "runs")
    f = _file(tmp_path)
    code, _, err = run(capsys, "report", tmp_path / "runs", "--out", f / "sub", "--no-progress")
    assert_usage(code, err, f"--out {f}/sub cannot be created: {f} is a file")


@pytest.mark.parametrize(
    "target,message",
    [
        ("{tmp}", "export file {tmp} is a directory, not a file"),
        ("{file}/x.csv", "the directory of export file {file} is a file, not a directory"),
        ("", "export file is empty"),
    ],
)
def test_history_export_into_a_bad_path(tmp_path, capsys, target, message):
    db = tmp_path / "h.sqlite"
    with history.History(db) as h:
        h.add([fake_result_for("linreg", "numpy")])
    f = _file(tmp_path)
    target, message = (s.format(file=f, tmp=tmp_path) for s in (target, message))
    code, _, err = run(capsys, "history", "--db", db, "export", target)
    assert_usage(code, err, message)
    assert len(history_rows(db)) == 1


@pytest.mark.parametrize(
    "target,message",
    [
        ("{tmp}", "--json {tmp} is a directory, not a file"),
        ("{file}/cmp.json", "the directory of --json {file} is a file"),
    ],
)
def test_compare_json_into_a_bad_path_is_refused_before_comparing(tmp_path, capsys, target, message):
    for side in ("base", "cur"):
        results.save(fake_result_for("linreg", "numpy"), tmp_path / side)
    f = _file(tmp_path)
    target, message = (s.format(file=f, tmp=tmp_path) for s in (target, message))
    code, out, err = run(capsys, "compare", tmp_path / "base", tmp_path / "cur", "--json", target)
    assert_usage(code, err, message)
    assert out == ""  # refused before the comparison, not after it was printed


@pytest.mark.parametrize(
    "argv,message",
    [
        (["gate", "--out", "{file}", "--no-confirm"], "--out {file} is a file, not a directory"),
        (["pretrain", "--out", "{tmp}"], "--out {tmp} is a directory, not a file"),
        (["pretrain", "--out", "{file}/ckpt.npz"], "the directory of --out {file} is a file"),
        (["pretrain", "--timeout", "0"], "--timeout must be a positive number of seconds, got 0"),
    ],
)
def test_side_command_outputs_are_checked_before_any_cell(tmp_path, capsys, monkeypatch, argv, message):
    started = []
    monkeypatch.setattr("bench.execute.matrix.spawn", lambda *a, **k: started.append(a))
    f = _file(tmp_path)
    argv = [a.format(file=f, tmp=tmp_path) for a in argv]
    code, _, err = run(capsys, *argv)
    assert_usage(code, err, message.format(file=f, tmp=tmp_path))
    assert not started


def fake_result_for(algo, backend, seed=0, **kw) -> Result:
    from bench.config import RunConfig

    r = fake_result(RunConfig.create(algo, backend, seed=seed, budget="quick"))
    for k, v in kw.items():
        setattr(r, k, v)
    return r


# 2. a write that fails after the cell ran: the result is kept, one line, exit 1 --------------------
@pytest.fixture
def full_disk(tmp_path, monkeypatch):
    """Writes into tmp/runs fail with ENOSPC after the first ``ok_writes`` (default 0); the fallback
    directory is tmp/fallback."""
    real = results.atomic_write
    state = {"ok_writes": 0}

    def atomic_write(path, text):
        if Path(path).parent == tmp_path / "runs":
            if state["ok_writes"] <= 0:
                raise OSError(28, "No space left on device", str(path))
            state["ok_writes"] -= 1
        return real(path, text)

    monkeypatch.setattr(results, "atomic_write", atomic_write)
    monkeypatch.setattr("bench.execute.matrix.fallback_dirs", lambda: [tmp_path / "fallback"])
    return state


def test_full_disk_keeps_the_result_in_a_fallback_file(tmp_path, capsys, full_disk, fake_cells):
    db = tmp_path / "h.sqlite"
    code, out, err = run(capsys, "run", *NUMPY, "--results-dir", tmp_path / "runs", "--db", db)
    assert code == 1
    line = err.strip().splitlines()[-1]
    assert line.startswith("bench: error: cannot write results to") and "No space left on device" in line
    kept = json_files(tmp_path / "fallback")
    assert len(kept) == 1 and str(kept[0]) in line and "bench history import" not in line  # it is in the history
    assert results.load(kept[0]).status == "ok" and "Traceback" not in err
    assert [r.algo for r in history_rows(db)] == ["linreg"]  # and it reached the history


def test_full_disk_without_history_names_the_import_command(tmp_path, capsys, full_disk, fake_cells):
    code, _, err = run(capsys, "run", *NUMPY, "--results-dir", tmp_path / "runs", "--no-history")
    kept = json_files(tmp_path / "fallback")
    assert code == 1 and len(kept) == 1
    assert f"'bench history import {kept[0]}' adds it to a history later" in err.strip().splitlines()[-1]


def test_full_disk_mid_run_stops_and_keeps_everything_finished(tmp_path, capsys, full_disk, fake_cells):
    full_disk["ok_writes"] = 1
    db = tmp_path / "h.sqlite"
    code, _, err = run(capsys, "run", *NUMPY, "--seeds", "3", "--results-dir", tmp_path / "runs", "--db", db)
    assert code == 1 and "stopped after 2 of 3 cells" in err.strip().splitlines()[-1]
    assert len(fake_cells) == 2  # the third cell never started: its result would have nowhere to go
    assert len(json_files(tmp_path / "runs")) == 1 and len(json_files(tmp_path / "fallback")) == 1
    assert sorted(r.seed for r in history_rows(db)) == [0, 1]


def test_full_disk_with_no_fallback_prints_the_record(tmp_path, capsys, full_disk, fake_cells, monkeypatch):
    monkeypatch.setattr("bench.execute.matrix.fallback_dirs", lambda: [_file(tmp_path) / "x"])
    code, _, err = run(capsys, "run", *NUMPY, "--results-dir", tmp_path / "runs", "--no-history")
    assert code == 1 and "printed above (no fallback file could be written)" in err
    record = json.loads(next(ln for ln in err.splitlines() if ln.startswith("{")))
    assert record["algo"] == "linreg" and record["status"] == "ok"


def test_history_that_stops_taking_writes_is_one_warning(tmp_path, capsys, fake_cells, monkeypatch):
    def broken(self, *a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(history.History, "add", broken)
    code, _, err = run(capsys, "run", *NUMPY, "--seeds", "2", "--results-dir", tmp_path / "runs")
    assert code == 0 and len(json_files(tmp_path / "runs")) == 2
    assert err.count("stopped taking results (OperationalError: database or disk is full)") == 1
    assert f"'bench history import {tmp_path / 'runs'}' adds them later" in err


def test_tour_report_that_cannot_be_written_is_one_line_after_the_results(in_tmp, capsys, fake_cells, monkeypatch):
    def broken(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("bench.reporting.report.write", broken)
    code, out, err = run(capsys, "run", "--backend", "numpy", "--no-progress")
    assert code == 1 and err.strip().splitlines()[-1].startswith("bench: error: the results are in results/runs")
    kept = json_files(in_tmp / "results/runs")  # the two cells' results and the tour's record
    assert "report could not be written" in err and len([p for p in kept if not p.name.startswith("tour-")]) == 2
    assert [p.name for p in kept if p.name.startswith("tour-")] != []


# 3. nonsense settings, timeout, seed and threads: refused before anything -------------------------
@pytest.mark.parametrize(
    "args,message",
    [
        (["--set", "epochs=0"], "'epochs' = 0 is out of range: it must be >= 1"),
        (["--set", "lr=nan"], "'lr' = nan is out of range"),
        (["--set", "lr=inf"], "'lr' = inf is out of range"),
        (["--set", "lr=-0.1"], "'lr' = -0.1 is out of range: it must be > 0"),
        (["--set", "lr=0"], "'lr' = 0.0 is out of range: it must be > 0"),
        (["--set", "eval_every=0"], "'eval_every' = 0 is out of range"),
        (["--set", "epochs=-5"], "'epochs' = -5 is out of range"),
        (["--set", "epochs="], "malformed --set 'epochs='"),
        (["--set", "epochs=1e9"], "bad value '1e9' for linreg setting 'epochs': expected int"),
        (["--timeout", "0"], "--timeout must be a positive number of seconds, got 0"),
        (["--timeout", "-1"], "--timeout must be a positive number of seconds, got -1"),
        (["--timeout", "nan"], "--timeout must be a positive number of seconds, got nan"),
        (["--timeout", "inf"], "--timeout must be a positive number of seconds, got inf"),
        (["--timeout", "soon"], "argument --timeout: invalid float value: 'soon'"),
        (["--seed", "-1"], "seed must be 0 or more, got -1"),
        (["--threads", "0"], "threads must be at least 1, got 0"),
        (["--threads", "-2"], "threads must be at least 1, got -2"),
        (["--seeds", "0"], "--seeds must be at least 1"),
        (["--seeds", "-3"], "--seeds must be at least 1"),
    ],
)
def test_nonsense_setting_is_one_line_and_exit_2(tmp_path, capsys, fake_cells, args, message):
    code, out, err = run(
        capsys,
        "run",
        "--algo",
        "linreg",
        "--backend",
        "numpy",
        "--no-progress",
        "--results-dir",
        tmp_path / "runs",
        *args,
    )
    assert_usage(code, err, message)
    assert not fake_cells and not (tmp_path / "runs").exists() and out == ""


@pytest.mark.parametrize(
    "algo,args,message",
    [
        ("mlp", ["--set", "hidden=0"], "mlp setting 'hidden' = 0 is out of range: it must be >= 1"),
        ("lenet5", ["--set", "batch_size=-5"], "'batch_size' = -5 is out of range"),
        ("mle_hetero", ["--set", "epochs=0"], "'epochs' = 0 is out of range"),
    ],
)
def test_nonsense_model_setting_is_refused_before_any_cell(tmp_path, capsys, fake_cells, algo, args, message):
    code, _, err = run(
        capsys, "run", "--algo", algo, "--backend", "torch", "--no-progress", "--results-dir", tmp_path / "runs", *args
    )
    assert_usage(code, err, message)
    assert not fake_cells and not (tmp_path / "runs").exists()


# 4. empty and duplicate selections ------------------------------------------------------------------
@pytest.mark.parametrize(
    "args,message",
    [
        (["--algo", ""], "--algo is empty: name at least one (see 'bench list'), or leave --algo out"),
        (["--algo", " , "], "--algo is empty"),
        (["--algo", "linreg", "--backend", ""], "--backend is empty"),
        (["--all", "--algo", "linreg"], "give either --all or --algo, not both"),
        (
            ["--algo", "linreg", "--set", "lr=0.1", "--set", "lr=0.2"],
            "--set lr is given twice with different values (0.1, 0.2)",
        ),
    ],
)
def test_empty_or_contradictory_selection_is_refused(tmp_path, capsys, fake_cells, args, message):
    code, _, err = run(capsys, "run", *args, "--no-progress", "--results-dir", tmp_path / "runs")
    assert_usage(code, err, message)
    assert not fake_cells


@pytest.mark.parametrize(
    "args,note,cells",
    [
        (["--algo", "linreg,linreg", "--backend", "numpy"], "--algo names linreg more than once; each runs once", 1),
        (["--algo", "linreg", "--algo", "linreg", "--backend", "numpy"], "--algo names linreg more than once", 1),
        (["--algo", "linreg", "--backend", "numpy,numpy"], "--backend names numpy more than once; each runs once", 1),
        (
            ["--algo", "linreg", "--backend", "numpy", "--set", "lr=0.0001", "--set", "lr=0.0001"],
            "--set lr=0.0001 is given 2 times; it counts once",
            1,
        ),
        (["--algo", "linreg,", "--backend", "numpy"], None, 1),
    ],
)
def test_duplicates_run_once_with_a_word(tmp_path, capsys, fake_cells, args, note, cells):
    code, _, err = run(capsys, "run", *args, "--no-progress", "--results-dir", tmp_path / "runs")
    assert code == 0 and len(fake_cells) == cells and len(json_files(tmp_path / "runs")) == cells
    if note:
        assert f"bench: note: {note}" in err
    assert len({(c.algo, c.backend, c.seed) for c in fake_cells}) == len(fake_cells)  # no copy of a seed


# 4b. execution modes and precision --------------------------------------------------------------
@pytest.mark.parametrize(
    "args,message",
    [
        (["--algo", "lenet5", "--mode", "warp"], "unknown mode 'warp'; choose from: all, compile, compile-max, eager"),
        (["--algo", "lenet5", "--precision", "fp16"], "unknown precision 'fp16'; choose from: all, bf16, fp32"),
        (["--algo", "lenet5", "--mode", ""], "--mode is empty"),
        (
            ["--algo", "lenet5", "--backend", "torch", "--mode", "reduce-overhead"],
            "torch mode 'reduce-overhead' needs a GPU (torch.compile(mode='reduce-overhead'): CUDA graphs); "
            "on the CPU choose from: eager, compile, compile-max",
        ),
        (
            ["--algo", "lenet5", "--backend", "tf", "--mode", "compile"],
            "no selected backend has --mode compile; the modes of each: tf: eager, graph, xla",
        ),
        (
            ["--algo", "linreg", "--backend", "numpy", "--precision", "bf16"],
            "linreg on numpy cannot run in bf16; valid: --precision fp32",
        ),
        (
            ["--algo", "linreg", "--backend", "tf", "--mode", "xla"],
            "linreg on tf runs only in mode graph (its implementation does not honour the mode axis); "
            "valid: --mode graph",
        ),
        (["--algo", "mlp", "--set", "xla=true"], "'xla' is no longer a setting: XLA is a mode (--mode xla for tf"),
        (
            ["--algo", "mlp", "--backend", "keras", "--engine", "jax", "--mode", "jit-off"],
            "no selected backend has --mode jit-off; the modes of each: keras[jax]: jit-on, fit",
        ),
        (
            ["--algo", "dqn", "--backend", "keras", "--engine", "jax", "--mode", "fit"],
            "dqn on keras[jax] runs only in mode jit-on (mode 'fit' runs the mlp, lenet5, metrics_cnn, resnet "
            "implementations only); valid: --mode jit-on",
        ),
        (
            ["--algo", "mlp", "--backend", "keras", "--mode", "fit"],
            "no selected backend has --mode fit; the modes of each: keras: jit-off, jit-on",
        ),
    ],
)
def test_bad_mode_or_precision_is_refused_before_any_cell(tmp_path, capsys, fake_cells, args, message):
    code, out, err = run(capsys, "run", *args, "--no-progress", "--results-dir", tmp_path / "runs")
    assert_usage(code, err, message)
    assert not fake_cells and not (tmp_path / "runs").exists() and out == ""


def test_mode_all_runs_each_backend_in_its_own_modes(tmp_path, capsys, fake_cells):
    code, _, err = run(
        capsys,
        "run",
        "--algo",
        "mlp",
        "--mode",
        "all",
        "--precision",
        "all",
        "--no-progress",
        "--results-dir",
        tmp_path / "runs",
        "--no-history",
    )
    assert code == 0, err
    got = sorted((c.backend, c.mode, c.precision) for c in fake_cells)
    want = sorted(
        (b, m, p)
        for b, modes in (
            ("tf", ("eager", "graph", "xla")),
            ("torch", ("eager", "compile", "compile-max")),
            ("keras", ("jit-off", "jit-on")),
        )
        for m in modes
        for p in ("fp32", "bf16")
    )
    assert got == want  # reduce-overhead (CUDA graphs) is GPU-only: not on the CPU
    assert all(c.deterministic == (c.mode not in ("xla", "jit-on")) for c in fake_cells)


# 5. data before work: skipped, announced, or an error ----------------------------------------------
RESNET_AND_LINREG = ("run", "--algo", "resnet10,linreg", "--backend", "torch", "--no-progress")  # CIFAR-10, none


def test_missing_dataset_cells_are_skipped_with_the_fix(no_data, capsys, fake_cells):
    code, out, err = run(
        capsys,
        *RESNET_AND_LINREG,
        "--results-dir",
        no_data / "runs",
    )
    assert code == 0
    assert (
        "bench: skipped 1 cell(s): CIFAR-10 is not here (downloads are off (BENCH_OFFLINE=1)): resnet10 x torch" in err
    )
    assert "bench:   fix: run 'bench data fetch cifar10' when online" in err
    assert [c.algo for c in fake_cells] == ["linreg"]  # the skipped cell never started
    assert [results.load(p).algo for p in json_files(no_data / "runs")] == ["linreg"]  # nothing recorded for it


def test_a_run_in_which_no_cell_ran_exits_1_after_its_fix_line(no_data, capsys, fake_cells):
    code, out, err = run(capsys, "run", "--algo", "resnet10", "--backend", "torch", "--results-dir", no_data / "runs")
    assert code == 1 and fake_cells == []  # a script must not read "nothing measured" as a pass
    assert "bench:   fix: run 'bench data fetch cifar10' when online" in err
    assert (
        err.strip().splitlines()[-1]
        == "bench: no cell ran: all 1 were skipped for want of their data (see the fix above)"
    )


def test_bench_speed_checks_the_data_before_any_worker(no_data, capsys, monkeypatch):
    from bench.execute import side_by_side

    monkeypatch.setattr(side_by_side, "interleave", lambda *a, **k: pytest.fail("a worker started"))
    code, out, err = run(capsys, "speed", "--algo", "resnet10", "--backend", "torch", "--results-dir", no_data / "r")
    assert code == 1 and "skipped 1 cell(s): CIFAR-10 is not here" in err
    assert (
        err.strip().splitlines()[-1]
        == "bench: no configuration can run: the data of all 1 is not here (see the fix above)"
    )


def test_full_matrix_offline_skips_the_image_datasets_at_once(no_data, capsys, fake_cells):
    t0 = time.perf_counter()
    code, _, err = run(capsys, "run", "--all", "--no-progress", "--results-dir", no_data / "runs", "--no-history")
    assert code == 0, err
    skip = [ln for ln in err.splitlines() if ln.startswith("bench: skipped")]
    assert len(skip) == 2 and "CIFAR-10" in skip[0] + skip[1] and "Cats vs Dogs" in skip[0] + skip[1]
    n_skipped = sum(int(ln.split("skipped ")[1].split(" ")[0]) for ln in skip)
    default = [n for n, s in specs.all_specs().items() if s.in_default_run]
    image = [
        n
        for n in default
        if {x.dataset for x in catalog.needs(specs.get(n), specs.get(n).resolve())} & {"cifar10", "cats_vs_dogs"}
    ]
    assert n_skipped == 3 * len(image) and not {c.algo for c in fake_cells} & set(image)
    assert err.count("fix: run 'bench data fetch") == 2
    assert "MNIST is not here" in err and "instead" in err  # the digits stand-in, announced
    assert time.perf_counter() - t0 < 30


def test_mnist_stand_in_is_announced(no_data, capsys, fake_cells):
    code, _, err = run(
        capsys, "run", "--algo", "mlp", "--backend", "torch", "--no-progress", "--results-dir", no_data / "runs"
    )
    assert code == 0 and len(fake_cells) == 1
    note = next(ln for ln in err.splitlines() if ln.startswith("bench: note: MNIST is not here"))
    assert "mlp x torch use scikit-learn's bundled digits" in note and "bench data fetch mnist" in note


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_named_data_directory_that_does_not_exist_is_an_error(tmp_path, capsys, fake_cells, monkeypatch, kind):
    bad = tmp_path / "typo"
    if kind == "a file":
        bad.write_text("")
    monkeypatch.setenv("BENCH_DATA_DIR", str(bad))
    code, _, err = run(
        capsys, "run", "--algo", "mlp", "--backend", "torch", "--no-progress", "--results-dir", tmp_path / "runs"
    )
    what = "does not exist" if kind == "missing" else "is a file, not a directory"
    assert_usage(code, err, f"BENCH_DATA_DIR={bad} {what}")
    assert not fake_cells and not (tmp_path / "runs").exists()


def test_named_data_directory_that_does_not_exist_stops_the_digits_in_the_cell_too(tmp_path, monkeypatch):
    from bench.core.data import mnist

    monkeypatch.setenv("BENCH_DATA_DIR", str(tmp_path / "typo"))
    with pytest.raises(BenchError, match="BENCH_DATA_DIR=.*typo does not exist"):
        mnist.load({"dataset": "auto"})


def test_missing_data_directory_does_not_matter_where_no_cell_reads_a_file(tmp_path, capsys, fake_cells, monkeypatch):
    monkeypatch.setenv("BENCH_DATA_DIR", str(tmp_path / "typo"))
    code, _, _ = run(capsys, "run", *NUMPY, "--results-dir", tmp_path / "runs")
    assert code == 0 and len(fake_cells) == 1


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_unreadable_bench_offline_is_an_error(no_data, capsys, fake_cells, monkeypatch, value):
    monkeypatch.setenv("BENCH_OFFLINE", value)
    code, _, err = run(
        capsys, "run", "--algo", "mlp", "--backend", "torch", "--no-progress", "--results-dir", no_data / "runs"
    )
    assert_usage(code, err, f"BENCH_OFFLINE='{value}': use 1 to forbid downloads or 0 to allow them")
    assert not fake_cells


@pytest.mark.parametrize("value,offline", [("0", False), ("false", False), ("", False), ("1", True), ("yes", True)])
def test_bench_offline_values(monkeypatch, value, offline):
    monkeypatch.setenv("BENCH_OFFLINE", value)
    assert files.offline() is offline


def test_failed_download_skips_the_cells_that_needed_it(no_data, capsys, fake_cells, monkeypatch):
    monkeypatch.setenv("BENCH_OFFLINE", "0")
    monkeypatch.setattr(files, "reachable", lambda url, timeout=3.0: True)

    def refuse(f):
        raise OSError("connection reset")

    monkeypatch.setattr(files, "download", refuse)
    code, _, err = run(
        capsys,
        *RESNET_AND_LINREG,
        "--results-dir",
        no_data / "runs",
    )
    assert code == 0 and [c.algo for c in fake_cells] == ["linreg"]
    assert "bench: downloading CIFAR-10 (cifar10_subset.npz" not in err  # the subset has no download source
    assert "downloading CIFAR-10 (cifar-10-python.tar.gz, 170,498,071 bytes)" in err
    assert "skipped 1 cell(s): CIFAR-10 is not here (its download failed:" in err


def test_skipped_is_a_status_of_its_own(tmp_path):
    r = fake_result_for("resnet10", "torch", status="skipped", error="CIFAR-10 is not here")
    path = results.save(r, tmp_path)
    assert results.load(path).status == "skipped" and "skipped" in STATUSES


# 6. the data command --------------------------------------------------------------------------------
def test_data_status_on_a_fresh_machine(no_data, capsys):
    code, out, err = run(capsys, "data", "status")
    assert code == 0 and err == ""
    assert "BENCH_DATA_DIR is not set" in out and "downloads: off (BENCH_OFFLINE)" in out
    for name in catalog.DATASETS:
        assert f"fix: run 'bench data fetch {name}' when online" in out


def test_data_status_with_a_missing_data_directory(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BENCH_DATA_DIR", str(tmp_path / "nope"))
    code, _, err = run(capsys, "data", "status")
    assert_usage(code, err, "does not exist")


def test_data_fetch_offline_is_refused(no_data, capsys):
    code, _, err = run(capsys, "data", "fetch", "cifar10")
    assert_usage(code, err, "downloads are off (BENCH_OFFLINE=1): cifar10 cannot be fetched")
    assert not (no_data / "cache").exists()


def test_data_fetch_unknown_dataset(no_data, capsys):
    code, _, err = run(capsys, "data", "fetch", "imagenet")
    assert_usage(code, err, "unknown dataset 'imagenet'; choose from: cats_vs_dogs, cifar10, mnist")


def test_data_fetch_unreachable_host_is_exit_1(no_data, capsys, monkeypatch):
    monkeypatch.setenv("BENCH_OFFLINE", "0")
    monkeypatch.setattr(files, "reachable", lambda url, timeout=3.0: False)
    code, out, _ = run(capsys, "data", "fetch", "mnist")
    assert code == 1 and "storage.googleapis.com cannot be reached" in out


@pytest.mark.parametrize(
    "content,verdict",
    [
        (b"truncated", "BAD"),
        (b"x" * 11_490_434, "BAD"),  # the right size, the wrong bytes
    ],
)
def test_data_verify_finds_a_damaged_copy(no_data, capsys, monkeypatch, content, verdict):
    d = no_data / "data"
    d.mkdir()
    (d / "mnist.npz").write_bytes(content)
    monkeypatch.setenv("BENCH_DATA_DIR", str(d))
    code, out, _ = run(capsys, "data", "verify", "mnist")
    assert code == 1 and f"mnist: {verdict}: {d / 'mnist.npz'}" in out
    code, out, _ = run(capsys, "data", "status", "mnist", "--no-network")
    assert code == 0 and "present, BAD" in out


def test_data_verify_names_a_missing_dataset(no_data, capsys):
    code, out, _ = run(capsys, "data", "verify", "cifar10")
    assert code == 1 and "cifar10: missing; run 'bench data fetch cifar10'" in out
    code, out, _ = run(capsys, "data", "verify")  # the sweep reports, and only damage fails it
    assert code == 0 and out.count("missing") == 3


@pytest.mark.skipif(catalog.missing_reason("cifar10") is not None, reason=str(catalog.missing_reason("cifar10")))
def test_data_verify_passes_a_good_copy(capsys):
    code, out, _ = run(capsys, "data", "verify", "cifar10")
    assert code == 0 and "cifar10: ok:" in out and "matches the canonical file; arrays read and checked" in out


def test_missing_reason_names_the_fetch_command(no_data):
    reason = catalog.missing_reason("cats_vs_dogs")
    assert reason.startswith("Cats vs Dogs is not here") and "bench data fetch cats_vs_dogs" in reason


# 7. paths mean what the user typed -------------------------------------------------------------------
def test_relative_tensorboard_is_the_working_directory(in_tmp, capsys, fake_cells):
    code, _, _ = run(capsys, "run", *NUMPY, "--tensorboard", "tb/here", "--no-history")
    assert code == 0 and fake_cells[0].tensorboard == str(in_tmp / "tb" / "here")
    assert not (ROOT / "tb").exists()


def test_results_dir_carries_its_history(in_tmp, capsys, fake_cells):
    code, out, _ = run(capsys, "run", *NUMPY, "--results-dir", "elsewhere/runs")
    assert code == 0 and "recorded in elsewhere/runs/history.sqlite" in out
    assert len(history_rows(in_tmp / "elsewhere/runs/history.sqlite")) == 1
    assert not (in_tmp / "results").exists()


def test_db_puts_the_history_where_asked(in_tmp, capsys, fake_cells):
    code, _, _ = run(capsys, "run", *NUMPY, "--results-dir", "runs", "--db", "hist/h.sqlite")
    assert code == 0 and len(history_rows(in_tmp / "hist/h.sqlite")) == 1
    assert not (in_tmp / "runs/history.sqlite").exists()


def test_results_dir_from_the_environment_carries_its_history(in_tmp, capsys, fake_cells, monkeypatch):
    monkeypatch.delenv("BENCH_HISTORY")
    monkeypatch.setenv("BENCH_RESULTS_DIR", str(in_tmp / "env_runs"))
    code, _, _ = run(capsys, "run", *NUMPY)
    assert code == 0 and len(history_rows(in_tmp / "env_runs/history.sqlite")) == 1


def test_no_history_writes_no_database(in_tmp, capsys, fake_cells):
    code, _, _ = run(capsys, "run", *NUMPY, "--results-dir", "runs", "--no-history")
    assert code == 0 and not (in_tmp / "runs/history.sqlite").exists() and len(json_files(in_tmp / "runs")) == 1


# 8. interrupted runs: finished cells are kept, in the files and the history --------------------------
def test_ctrl_c_keeps_the_finished_cells_in_the_history(tmp_path, capsys, monkeypatch):
    calls = []

    def fake(cell, timeout_s=None):
        calls.append(cell)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return fake_result(cell)

    monkeypatch.setattr("bench.execute.matrix.spawn", fake)
    db = tmp_path / "h.sqlite"
    code, _, err = run(capsys, "run", *NUMPY, "--seeds", "5", "--results-dir", tmp_path / "runs", "--db", db)
    assert code == 130 and "interrupted with 3 of 5 cells not run; the 2 that finished are kept" in err
    assert "--resume" in err and "Traceback" not in err
    assert sorted(r.seed for r in history_rows(db)) == [0, 1] and len(json_files(tmp_path / "runs")) == 2


def _bench(tmp_path, *argv, env=None):
    e = dict(os.environ, TMPDIR=str(tmp_path / "tmp"), **(env or {}))
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "bench", *map(str, argv)],
        cwd=ROOT,
        env=e,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=sigint_default,
    )


def _wait_for(predicate, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


SIX = ["--algo", "linreg,mle_normal", "--backend", "numpy", "--seeds", "3", *TINY, "--no-progress"]


def test_sigterm_is_like_ctrl_c_and_resume_runs_only_the_rest(tmp_path):
    """A 6-cell run is terminated after its 3 linreg cells (the first mle_normal cell hangs);
    the finished cells are in the history, no temporary directory is left; --resume runs the
    3 others, and the history then holds each of the 6 cells exactly once."""
    runs, db = tmp_path / "runs", tmp_path / "runs" / "history.sqlite"
    proc = _bench(tmp_path, "run", *SIX, "--results-dir", runs, env={"BENCH_FAULT": "hang:mle_normal"})
    assert _wait_for(lambda: len(json_files(runs)) == 3)
    assert _wait_for(lambda: any((tmp_path / "tmp").glob("bench-cell-*")), 30)  # the hung cell is running
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "terminated with 3 of 6 cells not run; the 3 that finished are kept" in err and "Traceback" not in err
    assert not list((tmp_path / "tmp").iterdir())  # no temporary directory left behind
    assert sorted((r.algo, r.seed) for r in history_rows(db)) == [("linreg", 0), ("linreg", 1), ("linreg", 2)]

    again = _bench(tmp_path, "run", *SIX, "--results-dir", runs, "--resume")
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert "resume: 3 of 6 cells already have results" in err and "running the other 3" in err
    rows = history_rows(db)
    assert sorted((r.algo, r.seed) for r in rows) == sorted((a, s) for a in ("linreg", "mle_normal") for s in range(3))
    assert len(json_files(runs)) == 6


def test_resume_counts_only_the_same_configuration(tmp_path, capsys, fake_cells):
    runs = tmp_path / "runs"
    assert run(capsys, "run", *NUMPY, "--seeds", "2", "--results-dir", runs)[0] == 0
    fake_cells.clear()
    code, _, err = run(
        capsys, "run", *NUMPY, "--seeds", "2", "--results-dir", runs, "--resume", "--set", "lr=0.0001"
    )  # another setting: another configuration
    assert code == 0 and len(fake_cells) == 2 and "resume: 0 of 2 cells" in err
    fake_cells.clear()
    code, _, err = run(capsys, "run", *NUMPY, "--seeds", "3", "--results-dir", runs, "--resume")
    assert code == 0 and [c.seed for c in fake_cells] == [2] and "resume: 2 of 3 cells" in err


def test_resume_runs_failed_cells_again(tmp_path, capsys, monkeypatch):
    runs = tmp_path / "runs"
    results.save(
        fake_result_for(
            "linreg",
            "numpy",
            hparams=dict(specs.get("linreg").resolve("quick", {"epochs": "20", "eval_every": "5"})),
            status="crashed",
        ),
        runs,
    )
    started = []
    monkeypatch.setattr("bench.execute.matrix.spawn", lambda cell, t=None: started.append(cell) or fake_result(cell))
    code, _, err = run(capsys, "run", *NUMPY, "--results-dir", runs, "--resume")
    assert code == 0 and len(started) == 1 and "resume: 0 of 1 cells" in err


# 9. side commands: one line, exit 2, never a traceback ------------------------------------------------
def test_report_with_no_results_says_so(in_tmp, capsys):
    code, _, err = run(capsys, "report", "--no-progress")
    assert_usage(code, err, "no results in results/runs yet: run 'bench run' first")
    assert not (in_tmp / "results").exists()


def test_report_without_tf_results_uses_the_first_backend_there(tmp_path, capsys):
    results.save(fake_result_for("linreg", "numpy"), tmp_path / "runs")
    code, out, err = run(capsys, "report", tmp_path / "runs", "--out", tmp_path / "rep", "--no-progress")
    assert code == 0, err
    assert "report of 1 results" in out and (tmp_path / "rep/report.md").is_file()
    assert "relative to **numpy**" in (tmp_path / "rep/report.md").read_text()


def test_report_with_an_unknown_reference_is_one_line(tmp_path, capsys):
    results.save(fake_result_for("linreg", "numpy"), tmp_path / "runs")
    code, _, err = run(
        capsys, "report", tmp_path / "runs", "--out", tmp_path / "rep", "--reference", "tf", "--no-progress"
    )
    assert_usage(code, err, "reference backend 'tf' has no results; choose from: numpy")
    assert not (tmp_path / "rep/report.html").exists()


@pytest.mark.parametrize("selector", ["/no/such/dir", "nothere.json", "runs/missing"])
def test_compare_missing_path_is_not_a_selector(tmp_path, capsys, selector):
    results.save(fake_result_for("linreg", "numpy"), tmp_path / "cur")
    code, _, err = run(capsys, "compare", selector, tmp_path / "cur")
    assert_usage(code, err, f"no such file or directory: {selector}")


def test_compare_unknown_selector_without_history(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BENCH_HISTORY", str(tmp_path / "none.sqlite"))
    results.save(fake_result_for("linreg", "numpy"), tmp_path / "cur")
    code, _, err = run(capsys, "compare", "latest", tmp_path / "cur")
    assert_usage(code, err, "'latest' is neither a file nor a directory, and there is no history database")


def _curves_dir(tmp_path):
    for algo in ("linreg", "mle_normal"):
        r = fake_result_for(
            algo,
            "numpy",
            curve=[{"step": 0, "epoch": 0, "loss": None, "val": 1.0}, {"step": 5, "epoch": 5, "loss": 2.0, "val": 0.5}],
        )
        results.save(r, tmp_path / "c")
    return tmp_path / "c"


def test_curves_on_the_loss(tmp_path, capsys):
    code, out, err = run(capsys, "curves", "linreg", "mle_normal", _curves_dir(tmp_path), "--metric", "loss")
    assert code == 0 and "loss: linreg (A) vs mle_normal (B)" in out and "Traceback" not in err


def test_curves_unknown_metric(tmp_path, capsys):
    code, _, err = run(capsys, "curves", "linreg", "mle_normal", _curves_dir(tmp_path), "--metric", "nope")
    assert_usage(code, err, "no 'nope' in its curve")


def test_rl_summary_of_a_corrupt_file(tmp_path, capsys):
    (tmp_path / "broken.json").write_text('{"algo": "dqn", "back')
    code, _, err = run(capsys, "rl-summary", tmp_path)
    assert_usage(code, err, f"cannot read result file {tmp_path / 'broken.json'}")


def test_rl_summary_of_supervised_results_says_there_are_none(tmp_path, capsys):
    results.save(fake_result_for("linreg", "numpy"), tmp_path)
    code, out, err = run(capsys, "rl-summary", tmp_path)
    assert_usage(code, err, "no RL results in")
    assert "unsolved" not in out


def test_rl_summary_leaves_out_supervised_rows(tmp_path, capsys):
    results.save(fake_result_for("linreg", "numpy"), tmp_path)
    results.save(fake_result_for("dqn", "torch", target_reached=False), tmp_path)
    code, out, _ = run(capsys, "rl-summary", tmp_path)
    assert code == 0 and "| dqn | torch |" in out and "| linreg |" not in out
    assert "(1 results of other kinds left out)" in out


@pytest.mark.parametrize("value", ["x", "0", "-3", "2.5"])
def test_bad_bench_rounds_is_one_clear_error(monkeypatch, value):
    from bench.core.env_vars import env_count

    monkeypatch.setenv("BENCH_ROUNDS", value)
    with pytest.raises(BenchError, match=f"BENCH_ROUNDS='{value}': must be a whole number of at least 1"):
        env_count("BENCH_ROUNDS", 30)


def test_bench_rounds_unset_and_set(monkeypatch):
    from bench.core.env_vars import env_count

    monkeypatch.delenv("BENCH_ROUNDS", raising=False)
    assert env_count("BENCH_ROUNDS", 30) == 30
    monkeypatch.setenv("BENCH_ROUNDS", " 7 ")
    assert env_count("BENCH_ROUNDS", 30) == 7


def test_list_into_a_closed_pipe(tmp_path):
    proc = subprocess.run(
        f"{sys.executable} -m bench list | head -1", shell=True, cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0 and proc.stdout.startswith(" ") and proc.stderr == ""


def test_a_bug_is_one_line_not_a_traceback(capsys, monkeypatch):
    def boom(args):
        raise RuntimeError("something\nunexpected")

    monkeypatch.setattr("bench.cli.listing.cmd_list", boom)
    monkeypatch.delenv("BENCH_TRACEBACK", raising=False)
    code, _, err = run(capsys, "list")
    assert (
        code == 1
        and err == "bench: internal error: RuntimeError: something unexpected (BENCH_TRACEBACK=1 shows where)\n"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["data", "--help"],
        ["data", "status", "--help"],
        ["data", "fetch", "--help"],
        ["data", "verify", "--help"],
        ["history", "import", "--help"],
        ["history", "list", "--help"],
        ["history", "export", "--help"],
    ],
)
def test_help_everywhere(capsys, argv):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and out.startswith(f"usage: bench {' '.join(argv[:-1])}") and "-h, --help" in out


@pytest.mark.parametrize(
    "argv,message",
    [
        (["data"], "the following arguments are required: data_command"),
        (["data", "clean"], "invalid choice: 'clean'"),
        (["history"], "the following arguments are required: history_command"),
        (["run", "--resume=yes"], "argument --resume: ignored explicit argument 'yes'"),
    ],
)
def test_bad_subcommand_usage(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert_usage(code, err, message)


# 10. the tour and the whole matrix -------------------------------------------------------------------
def test_plain_run_is_the_tour_with_its_report(in_tmp, capsys, fake_cells):
    code, out, err = run(capsys, "run", "--no-progress")
    assert code == 0, err
    assert [(c.algo, c.backend) for c in fake_cells] == [(a, b) for a in tour.ALGOS for b in tour.BACKENDS]
    lenet = next(c for c in fake_cells if c.algo == "lenet5")
    assert lenet.hparams["dataset"] == "digits" and lenet.overrides["dataset"] == "digits"
    assert next(c for c in fake_cells if c.algo == "linreg").hparams["epochs"] == 11000
    assert "the quick tour: 15 cells" in err and "'bench run --all' runs the whole matrix" in err
    assert out.strip().splitlines()[-1] == "report: results/runs/report.html (and results/runs/report.md)"
    assert (in_tmp / "results/runs/report.html").is_file()


def test_tour_settings_give_way_to_the_users(in_tmp, capsys, fake_cells):
    code, _, _ = run(capsys, "run", "--backend", "numpy", "--set", "epochs=7", "--no-progress", "--no-report")
    assert code == 0 and [(c.algo, c.hparams["epochs"]) for c in fake_cells] == [("linreg", 7), ("mle_normal", 7)]


def test_tour_reads_no_data_file(no_data, capsys, fake_cells):
    code, _, err = run(capsys, "run", "--no-progress", "--no-report", "--results-dir", no_data / "runs")
    assert code == 0 and "not here" not in err and len(fake_cells) == 15


def test_all_runs_the_default_matrix(in_tmp, capsys, fake_cells, monkeypatch):
    monkeypatch.setenv("BENCH_DATA_DIR", str(in_tmp))  # an empty directory: the image cells are skipped
    code, _, err = run(capsys, "run", "--all", "--no-progress", "--no-history")
    default = [n for n, s in specs.all_specs().items() if s.in_default_run]
    skipped = sum(int(ln.split("skipped ")[1].split(" ")[0]) for ln in err.splitlines() if "bench: skipped" in ln)
    assert code == 0 and len(fake_cells) + skipped == 3 * len(default)
    assert "dueling_ddqn_atari" not in {c.algo for c in fake_cells}
    assert not (in_tmp / "results/runs/report.html").exists()  # a report is the tour's, or asked for


# executors: --executor, --ray-address, --jobs ----------------------------------------------------
def _closed_port() -> int:
    """A local TCP port where nothing listens."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--jobs", "2"], "--jobs 2 runs cells side by side, which spoils their speed figures; add --quality-only"),
        (["--jobs", "0", "--quality-only"], "--jobs must be at least 1, got 0"),
        (["--executor", "ray", "--jobs", "2", "--quality-only"], "--jobs is for --executor local"),
        (["--ray-address", "10.0.0.5:6379"], "--ray-address is for --executor ray; add --executor ray"),
        (["--executor", "slurm"], "unknown executor 'slurm'; choose from: local, ray"),
        (["--executor", "ray", "--ray-address", ""], "--ray-address is empty: give HOST:PORT of the head node"),
        (["--executor", "ray", "--ray-address", "head node"], "'head node' is not a Ray address; give HOST:PORT"),
    ],
)
def test_executor_options_are_checked_before_any_cell(tmp_path, capsys, fake_cells, args, message):
    code, out, err = run(capsys, "run", *NUMPY, *args, "--results-dir", tmp_path / "runs")
    assert_usage(code, err, message)
    assert not fake_cells and not (tmp_path / "runs").exists()


def test_unreachable_ray_address_is_one_line_with_the_fix(tmp_path, capsys, fake_cells):
    port = _closed_port()
    code, out, err = run(capsys, "run", *NUMPY, "--executor", "ray", "--ray-address", f"127.0.0.1:{port}")
    assert_usage(code, err, f"--ray-address: no Ray cluster answers at 127.0.0.1:{port} (Connection refused)")
    assert "ray start --head" in err and "leave --ray-address and RAY_ADDRESS out" in err and not fake_cells


def test_unreachable_ray_address_from_the_environment_names_it(tmp_path, capsys, fake_cells, monkeypatch):
    port = _closed_port()
    monkeypatch.setenv("RAY_ADDRESS", f"ray://127.0.0.1:{port}")
    code, out, err = run(capsys, "run", *NUMPY, "--executor", "ray", "--results-dir", tmp_path / "runs")
    assert_usage(code, err, f"RAY_ADDRESS=ray://127.0.0.1:{port}: no Ray cluster answers at 127.0.0.1:{port}")
    assert not fake_cells and not (tmp_path / "runs").exists()


def test_ray_not_installed_is_one_line_with_the_fix(tmp_path, capsys, fake_cells, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what importlib finds where Ray is not installed
    code, out, err = run(capsys, "run", *NUMPY, "--executor", "ray", "--results-dir", tmp_path / "runs")
    assert_usage(code, err, "--executor ray needs Ray, which is not installed here: pip install -c constraints.txt ray")
    assert "--executor local" in err and not fake_cells and not (tmp_path / "runs").exists()


def test_local_jobs_run_quality_only_cells_side_by_side_and_ctrl_c_stops_them(tmp_path):
    """--jobs 2 --quality-only: the second cell (linreg) finishes while the first (mle_normal)
    hangs, which one cell at a time could not do; its card says the machine was shared. Ctrl-C
    then kills the hung cell and keeps the finished one."""
    runs = tmp_path / "runs"
    argv = ["run", "--algo", "mle_normal,linreg", "--backend", "numpy", *TINY, "--no-progress", "--results-dir", runs]
    proc = _bench(tmp_path, *argv, "--jobs", "2", "--quality-only", env={"BENCH_FAULT": "hang:mle_normal"})
    assert _wait_for(lambda: len(json_files(runs)) == 1)
    (done,) = results.load_dir(runs)
    assert done.algo == "linreg" and done.status == "ok"
    assert done.card.placement["executor"] == "local" and done.card.placement["exclusive"] is False
    assert any((tmp_path / "tmp").glob("bench-cell-*"))  # the hung cell is still running
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted with 1 of 2 cells not run; the 1 that finished are kept" in err and "Traceback" not in err
    assert not list((tmp_path / "tmp").iterdir())  # the hung cell's process and directory are gone


def test_resume_of_a_speed_run_does_not_take_packed_results(tmp_path):
    """A quality-only (packed) result finishes the cell for another quality-only run, not for a
    run that measures speed; a result that had its node to itself finishes it for both."""
    speed, quality = (
        RunConfig.create("linreg", "numpy", overrides={"epochs": "20"}, exclusive=alone) for alone in (True, False)
    )
    packed = fake_result(quality)
    packed.card.placement = {"executor": "ray", "node": "n1", "exclusive": False}
    path = results.save(packed, tmp_path)
    assert finished([speed, quality], tmp_path) == [None, path]
    alone = fake_result(speed)
    alone.card.placement = {"executor": "ray", "node": "n1", "exclusive": True}
    path2 = results.save(alone, tmp_path)
    assert finished([speed, quality], tmp_path) == [path2, path2]


# Keras engines -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv,message",
    [
        (["--engine", "mxnet"], "unknown Keras engine 'mxnet'; choose from: jax, tensorflow, torch"),
        (["--engine", "jax,"], None),  # a trailing comma is tidied, not an error: checked below
        (["--engine", ","], "--engine is empty: name at least one"),
        (["--backend", "tf", "--engine", "jax"], "--engine chooses the keras backend's engine: add --backend keras"),
    ],
)
def test_bad_engine_is_refused_before_any_cell(tmp_path, capsys, fake_cells, argv, message):
    code, out, err = run(
        capsys,
        "run",
        "--algo",
        "linreg",
        *(["--backend", "keras"] if "--backend" not in argv else []),
        *argv,
        "--results-dir",
        tmp_path / "runs",
        "--no-progress",
        "--no-history",
    )
    if message is None:
        assert code == 0 and [c.name for c in fake_cells] == ["keras[jax]"], err
        return
    assert_usage(code, err, message)
    assert not fake_cells and not (tmp_path / "runs").exists() and out == ""


def test_engine_whose_package_is_missing_names_the_fix(tmp_path, capsys, fake_cells, monkeypatch):
    monkeypatch.setattr("bench.core.backends.package_installed", lambda dist: dist not in ("jax", "jaxlib"))
    code, out, err = run(
        capsys,
        "run",
        "--algo",
        "linreg",
        "--backend",
        "keras",
        "--engine",
        "torch,jax",
        "--results-dir",
        tmp_path / "runs",
        "--no-progress",
    )
    assert_usage(
        code,
        err,
        "the Keras engine 'jax' needs jax and jaxlib, not installed here; "
        "install with: pip install -c constraints.txt jax jaxlib",
    )
    assert not fake_cells and not (tmp_path / "runs").exists() and out == ""
    code, out, _ = run(capsys, "list")
    assert code == 0
    row = next(line.split() for line in out.splitlines() if line.startswith("linreg") or " linreg " in line)
    assert row.count("not") == 1  # keras[jax] alone: "not installed"
