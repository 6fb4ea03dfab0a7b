"""The command line: listing, bad input (one line naming the valid choices, exit 2, no
traceback), and a matrix that survives a crashed, hung or diverging cell."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import specs
from bench.cli.main import main
from bench.config import RunConfig
from bench.execute.matrix import execute_cells
from bench.reporting import store as results
from bench.reporting.schema import Result

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["run", "--algo", "nope"], "unknown algorithm 'nope'; choose from: " + ", ".join(specs.names())),
        (["run", "--backend", "jax"], "unknown backend 'jax'; choose from: keras, numpy, tf, torch"),
        (["run", "--device", "tpu"], "unknown device 'tpu'; choose from: all, cpu, gpu"),
        (["run", "--budget", "huge"], "unknown budget 'huge'; choose from: full, quick"),
        (["run", "--set", "lr"], "malformed --set 'lr': expected key=value"),
        (["run", "--set", "=3"], "malformed --set '=3'"),
        (
            ["run", "--algo", "linreg", "--set", "foo=1"],
            "unknown setting 'foo' for linreg; valid settings: batch_size,",
        ),
        (["run", "--algo", "linreg", "--set", "lr=fast"], "bad value 'fast' for linreg setting 'lr': expected float"),
        (
            ["run", "--algo", "linreg", "--set", "epochs=1.5"],
            "bad value '1.5' for linreg setting 'epochs': expected int",
        ),
        (["run", "--seeds", "0"], "--seeds must be at least 1"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, expected):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_gpu_request_without_gpu(capsys, monkeypatch):
    monkeypatch.setenv("BENCH_FORCE_NO_GPU", "1")
    assert main(["run", "--device", "gpu"]) == 2
    assert "no GPU is available on this machine; devices here: cpu" in capsys.readouterr().err


def test_console_script_prints_no_traceback():
    out = subprocess.run(
        [sys.executable, "-m", "bench", "run", "--algo", "linreg", "--backend", "mxnet"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 2
    assert out.stderr.strip() == "bench: error: unknown backend 'mxnet'; choose from: keras, numpy, tf, torch"


def test_list_shows_every_algorithm_and_backend(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for word in ("linreg", "mle_normal", "mle_hetero", "tf", "torch", "keras", "cpu"):
        assert word in out


def test_run_prints_summary_and_writes_results(tmp_path, capsys):
    argv = "run --algo linreg,mle_normal --backend numpy --seeds 2 --set epochs=40 --set eval_every=10".split()
    code = main([*argv, "--results-dir", str(tmp_path), "--no-progress"])
    assert code == 0
    out = capsys.readouterr().out
    assert "param_dist" in out and "nll" in out and "samples/s" in out
    saved = results.load_dir(tmp_path)
    assert sorted((r.algo, r.seed) for r in saved) == [
        ("linreg", 0),
        ("linreg", 1),
        ("mle_normal", 0),
        ("mle_normal", 1),
    ]
    r = saved[0]
    assert r.status == "ok" and r.throughput["n"] >= 3 and r.card["machine"]["fingerprint"]
    assert r.hparams["epochs"] == 40 and r.overrides == {"epochs": 40, "eval_every": 10}


def _cells(*specs):
    return [RunConfig.create(a, b, budget="quick", overrides={"epochs": "30", "eval_every": "5"}) for a, b in specs]


def test_matrix_survives_a_killed_cell(tmp_path, monkeypatch):
    # the middle cell's process is killed (SIGKILL) in the middle of its training
    monkeypatch.setenv("BENCH_FAULT", "crash:torch@10")
    done = execute_cells(
        _cells(("linreg", "numpy"), ("linreg", "torch"), ("mle_normal", "numpy")), tmp_path, timeout_s=120
    )
    assert [r.status for r in done] == ["ok", "crashed", "ok"]
    assert "signal 9" in done[1].error
    saved = {(r.algo, r.backend): r for r in results.load_dir(tmp_path)}
    assert saved[("linreg", "numpy")].metrics == done[0].metrics and saved[("mle_normal", "numpy")].status == "ok"
    assert saved[("linreg", "torch")].status == "crashed"


def test_matrix_times_out_a_hung_cell_and_continues(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_FAULT", "hang:linreg@3")
    done = execute_cells(_cells(("linreg", "numpy"), ("mle_normal", "numpy")), tmp_path, timeout_s=10)
    assert [r.status for r in done] == ["timeout", "ok"]
    assert "timeout" in done[0].error


def test_diverging_run_is_recorded_as_diverged(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_FAULT", "nan@12")
    done = execute_cells(_cells(("linreg", "numpy")), tmp_path, timeout_s=60)
    assert done[0].status == "diverged" and "nan" in done[0].error
    assert results.load_dir(tmp_path)[0].status == "diverged"


def test_killing_bench_run_keeps_finished_results_intact(tmp_path):
    """SIGKILL the whole `bench run` after its first result: what was written stays whole."""
    env = dict(os.environ, BENCH_FAULT="hang:torch")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.cli.main",
            "run",
            "--algo",
            "linreg",
            "--backend",
            "numpy,torch",
            "--set",
            "epochs=31",
            "--results-dir",
            str(tmp_path),
            "--no-progress",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not list(tmp_path.glob("*.json")):
        time.sleep(0.2)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # the history travels with --results-dir (history.sqlite; sqlite's own journal may stay after a kill)
    files = [f for f in tmp_path.iterdir() if not f.name.startswith("history.sqlite")]
    assert [f.suffix for f in files] == [".json"], files  # no temporary or partial file
    data = json.loads(files[0].read_text())
    assert data["backend"] == "numpy" and data["status"] == "ok"
    # the hung cell's process noticed its parent died and stopped (it runs in its own session)
    deadline = time.time() + 15
    while time.time() < deadline and _cells_running():
        time.sleep(0.5)
    assert not _cells_running()


def _cells_running() -> bool:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return any("bench.execute.cell_process" in line and '"epochs": "31"' in line for line in out.splitlines())


def test_corrupt_result_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"algo": "linreg", "back')
    with pytest.raises(results.BenchError, match="cannot read result file .*broken.json"):
        results.load(bad)


def test_partial_result_record_is_a_clear_error(tmp_path):
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"algo": "linreg", "backend": "torch", "seed": 0, "status": "ok"}))
    with pytest.raises(results.BenchError, match="partial.json: partial record \\(missing device, budget\\)"):
        results.load(partial)
    odd = tmp_path / "odd.json"
    odd.write_text(
        json.dumps(
            {"algo": "linreg", "backend": "torch", "device": "cpu", "budget": "quick", "seed": 0, "status": "exploded"}
        )
    )
    with pytest.raises(results.BenchError, match="unknown status 'exploded'"):
        results.load(odd)


# one command line: every subcommand's --help, one-line usage errors, and the old module aliases
SUBCOMMANDS = (
    "list",
    "run",
    "speed",
    "env",
    "report",
    "compare",
    "history",
    "pretrain",
    "gate",
    "curves",
    "rl-summary",
)


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(capsys, command):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: bench {command} ") and "-h, --help" in out


def test_top_level_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in SUBCOMMANDS:
        assert command in out


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["gate", "--repeats", "x"], "argument --repeats: invalid int value: 'x' (see 'bench gate --help')"),
        (["gate", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["curves", "a", "b"], "the following arguments are required: dirs, --metric (see 'bench curves --help')"),
        (["curves", "a", "b", "/no/such/dir", "--metric", "val_acc"], "argument dirs: no directory '/no/such/dir'"),
        (["curves", "a", "b", ".", "--metric", "val_acc", "--from-epoch", "two"], "invalid int value: 'two'"),
        (["rl-summary", "/no/such/dir"], "argument DIR: no directory '/no/such/dir' (see 'bench rl-summary --help')"),
        (["rl-summary", "--help-me"], "unrecognized arguments: --help-me"),
        (["pretrain", "--seed", "x"], "argument --seed: invalid int value: 'x' (see 'bench pretrain --help')"),
    ],
)
def test_bad_subcommand_arguments_are_one_line_and_exit_2(capsys, argv, expected):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("bench: error: ") and expected in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("command", ["gate", "curves", "rl-summary"])
def test_module_aliases_run_the_subcommand(command):
    """``python -m bench COMMAND`` is ``bench COMMAND``."""
    module = ["bench", command]
    out = subprocess.run([sys.executable, "-m", *module, "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.startswith(f"usage: bench {command} "), out.stderr
    bad = subprocess.run([sys.executable, "-m", *module, "--no-such-option"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("bench: error: ") and bad.stderr.count("\n") == 1


def test_rl_summary_alias_and_subcommand_print_the_same_table(tmp_path, capsys):
    for seed, solved in ((0, True), (1, False)):
        results.save(
            Result(
                "dqn",
                "torch",
                "cpu",
                seed,
                "quick",
                status="ok",
                target=195.0,
                target_reached=solved,
                time_to_target_s=12.5 if solved else None,
                steps_to_target=3000 if solved else None,
                metrics={"eval_return": 200.0 if solved else 20.0, "mean_eval_return": 90.0},
                throughput={"median": 800.0},
            ),
            tmp_path,
        )
    alias = subprocess.run(
        [sys.executable, "-m", "bench", "rl-summary", str(tmp_path)], capture_output=True, text=True, cwd=ROOT
    )
    assert alias.returncode == 0, alias.stderr
    table = alias.stdout
    assert "| dqn | torch | [0, 1] | 1/2 |" in table
    assert main(["rl-summary", str(tmp_path)]) == 0
    assert capsys.readouterr().out == table
