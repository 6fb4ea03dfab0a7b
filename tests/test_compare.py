"""bench compare: noise-aware throughput and quality regressions, machine and algorithm checks,
exit codes and messages."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from bench.cli.main import main
from bench.core.errors import BenchError
from bench.reporting import compare, store as results
from bench.reporting.schema import Result

MACHINE = {"fingerprint": "abc123def456", "cpu": "Test CPU", "cores": 2, "memory_gib": 8.0}


def run(
    algo="mle_normal",
    backend="torch",
    seed=0,
    value=1.5,
    speed=1000.0,
    noise=0.08,
    rounds=30,
    rng_seed=0,
    machine=MACHINE,
    status="ok",
    unit="samples/s",
    metric="nll",
    target=None,
    reached=False,
):
    rng = np.random.default_rng(rng_seed)
    values = (speed * rng.lognormal(0.0, noise, rounds)).tolist()
    return Result(
        algo,
        backend,
        "cpu",
        seed,
        "quick",
        status=status,
        metric=metric,
        metrics={metric: value},
        target=target,
        target_reached=reached,
        throughput={"unit": unit, "median": float(np.median(values)), "n": rounds, "values": values},
        card={"machine": dict(machine), "commit": "a" * 40},
    )


def rows_by_backend(cmp):
    return {r.backend: r for r in cmp.rows}


def test_identical_code_different_noise_draws_is_not_a_regression():
    base = [run(backend=b, rng_seed=i) for i, b in enumerate(("tf", "torch", "keras"))]
    cur = [run(backend=b, rng_seed=10 + i) for i, b in enumerate(("tf", "torch", "keras"))]
    cmp = compare.compare(base, cur)
    assert cmp.regressions == []
    assert {r.tp_verdict for r in cmp.rows} == {"same"}
    assert {r.q_verdict for r in cmp.rows} == {"same"}


def test_thirty_percent_slowdown_is_caught_five_percent_is_not():
    base = [run(backend="torch", rng_seed=1), run(backend="tf", rng_seed=2)]
    cur = [run(backend="torch", speed=700.0, rng_seed=3), run(backend="tf", speed=950.0, rng_seed=4)]
    rows = rows_by_backend(compare.compare(base, cur))
    assert rows["torch"].tp_verdict == "SLOWER" and rows["torch"].regression
    assert rows["torch"].p_value < 0.01 and rows["torch"].ratio == pytest.approx(0.7, abs=0.05)
    lo, hi = rows["torch"].ratio_ci
    assert lo < rows["torch"].ratio < hi < 0.9
    assert rows["tf"].tp_verdict == "same" and not rows["tf"].regression


def test_a_large_drop_in_few_noisy_rounds_is_not_significant():
    base = [run(rounds=3, noise=0.4, rng_seed=5)]
    cur = [run(rounds=3, noise=0.4, speed=750.0, rng_seed=6)]
    row = compare.compare(base, cur).rows[0]
    assert row.p_value is not None and row.p_value >= 0.01
    assert row.tp_verdict != "SLOWER"


def test_threshold_follows_the_baselines_run_to_run_noise():
    # three baseline runs whose medians differ by up to ~35 %: a 30 % drop is within that noise
    base = [run(speed=s, rng_seed=i, seed=0) for i, s in enumerate((1000.0, 650.0, 1000.0))]
    cur = [run(speed=700.0, rng_seed=9)]
    row = compare.compare(base, cur).rows[0]
    assert row.tp_threshold > 0.3
    assert row.tp_verdict == "same"


def test_faster_is_reported_not_flagged():
    row = compare.compare([run(rng_seed=1)], [run(speed=1500.0, rng_seed=2)]).rows[0]
    assert row.tp_verdict == "faster" and not row.regression


def test_quality_regression_beyond_seed_spread_and_tolerance():
    base = [run(seed=s, value=v, rng_seed=s) for s, v in enumerate((1.50, 1.52, 1.49))]
    within = [run(seed=s, value=v, rng_seed=10 + s) for s, v in enumerate((1.53, 1.51, 1.52))]
    worse = [run(seed=s, value=v, rng_seed=20 + s) for s, v in enumerate((1.80, 1.85, 1.79))]
    assert compare.compare(base, within).rows[0].q_verdict == "same"
    row = compare.compare(base, worse).rows[0]
    assert row.q_verdict == "WORSE" and row.regression
    assert row.q_tol == pytest.approx(0.05 * 1.50)  # 5 % beats the 0.03 seed range here


def test_higher_is_better_metric_and_env_steps(monkeypatch):
    """An RL-like result: a return (higher is better) and env steps/s."""
    fake_spec = SimpleNamespace(higher_is_better=True, tolerances={"return": 20.0})
    monkeypatch.setattr(compare, "_spec", lambda algo: fake_spec)
    kw = dict(algo="dqn_cartpole", metric="return", unit="env steps/s")
    base = [run(value=v, seed=s, rng_seed=s, **kw) for s, v in enumerate((450.0, 480.0, 500.0))]
    lower = [run(value=v, seed=s, rng_seed=5 + s, **kw) for s, v in enumerate((300.0, 320.0, 280.0))]
    higher = [run(value=v, seed=s, rng_seed=9 + s, **kw) for s, v in enumerate((500.0, 520.0, 560.0))]
    row = compare.compare(base, lower).rows[0]
    assert row.q_verdict == "WORSE" and row.unit == "env steps/s"
    assert row.q_tol == pytest.approx(50.0)  # the seed range 450..500
    assert compare.compare(base, higher).rows[0].q_verdict in ("same", "better")


def test_lost_target_and_failed_cells_are_regressions():
    base = [run(target=2.0, reached=True)]
    cur = [run(target=2.0, reached=False, rng_seed=3)]
    assert compare.compare(base, cur).rows[0].q_verdict == "WORSE (target lost)"
    failed = run(status="diverged", rng_seed=4)
    failed.error = "loss became nan in epoch 3"
    cmp = compare.compare([run(), run(backend="tf")], [failed, run(backend="tf", rng_seed=7)])
    row = rows_by_backend(cmp)["torch"]
    assert row.status == "failed" and row.regression and "loss became nan" in row.notes[0]


def test_refuses_other_machines_unless_forced():
    other = dict(MACHINE, fingerprint="999999999999", cpu="Other CPU")
    base, cur = [run()], [run(machine=other, rng_seed=2)]
    with pytest.raises(BenchError, match="different machines.*--force"):
        compare.compare(base, cur)
    assert compare.compare(base, cur, force=True).forced


def test_refuses_different_algorithms_and_empty_sides():
    with pytest.raises(BenchError, match="different algorithms: baseline has linreg, current has mle_normal"):
        compare.compare([run(algo="linreg")], [run()])
    with pytest.raises(BenchError, match="holds no results"):
        compare.compare([], [run()])


def test_missing_and_new_cells_are_listed_not_flagged():
    cmp = compare.compare([run(backend="tf"), run(backend="torch")], [run(backend="torch"), run(backend="keras")])
    rows = rows_by_backend(cmp)
    assert rows["tf"].status == "missing" and rows["keras"].status == "new"
    assert cmp.regressions == []


def _write(directory, rs):
    for r in rs:
        results.save(r, directory)
    return str(directory)


def test_cli_exit_codes_table_and_json(tmp_path, capsys):
    base = _write(tmp_path / "base", [run(backend="tf", rng_seed=1), run(backend="torch", rng_seed=2)])
    same = _write(tmp_path / "same", [run(backend="tf", rng_seed=3), run(backend="torch", rng_seed=4)])
    slow = _write(tmp_path / "slow", [run(backend="tf", rng_seed=5), run(backend="torch", speed=650.0, rng_seed=6)])
    assert main(["compare", base, same]) == 0
    out = capsys.readouterr().out
    assert "2 cells compared, 0 regression(s)" in out and "ratio" in out
    assert main(["compare", base, slow, "--json", str(tmp_path / "cmp.json")]) == 1
    assert "1 regression(s): mle_normal/torch/cpu" in capsys.readouterr().out
    saved = json.loads((tmp_path / "cmp.json").read_text())
    assert saved["regressions"] == 1 and saved["thresholds"]["rel"] == 0.1


def test_cli_bad_input_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BENCH_HISTORY", str(tmp_path / "h.sqlite"))
    base = _write(tmp_path / "base", [run()])
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text("{not json")
    other = _write(tmp_path / "other", [run(algo="linreg")])
    cases = [
        ([base, str(corrupt)], "cannot read result file"),
        ([base, "0123abcd"], "no history database"),
        ([base, other], "different algorithms"),
        ([base, base, "--threshold", "2"], "--threshold and --alpha must lie between 0 and 1"),
    ]
    for argv, message in cases:
        assert main(["compare", *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err
    from bench.reporting.history import History

    History(tmp_path / "h.sqlite").close()  # an empty database
    assert main(["compare", base, "latest"]) == 2
    assert "is empty" in capsys.readouterr().err
    with History(tmp_path / "h.sqlite") as h:
        h.add([run()], "s1")
    assert main(["compare", base, "feedface"]) == 2
    assert "unknown commit, session or run id 'feedface'" in capsys.readouterr().err
    assert main(["compare", base, "s1"]) == 0


# the gate (bench gate): its confirmation rerun and its errors, with the cells' runs faked
def _baseline_dir(tmp_path, base):
    from bench.execute import gate

    d = tmp_path / "baseline"
    _write(d / "runs", base)
    plan = dict(gate.DEFAULT_PLAN, algos=["mle_normal"], backends=["tf", "torch"])
    (d / gate.MANIFEST).write_text(json.dumps({"plan": plan}))
    return d


def _fake_runs(monkeypatch, *batches):
    """The gate's cells run through the one pipeline: each cell's process is faked, the results of
    one batch for each run of the gate's cells (the first run, then the confirmation rerun)."""
    state = {"batch": 0, "used": set()}

    def spawn(cell, timeout_s=None):
        key = (cell.algo, cell.backend)
        if key in state["used"]:  # the cell runs again: the next batch
            state["batch"], state["used"] = state["batch"] + 1, set()
        state["used"].add(key)
        return next(r for r in batches[state["batch"]] if (r.algo, r.backend) == key)

    monkeypatch.setattr("bench.execute.matrix.spawn", spawn)


def test_gate_passes_on_noise_and_fails_on_a_confirmed_slowdown(tmp_path, monkeypatch, capsys):

    d = _baseline_dir(tmp_path, [run(backend=b, rng_seed=i) for i, b in enumerate(("tf", "torch"))])
    same = [run(backend="tf", rng_seed=11), run(backend="torch", rng_seed=12)]
    burst = [run(backend="tf", rng_seed=13), run(backend="torch", speed=600.0, rng_seed=14)]
    slow = [run(backend="tf", rng_seed=15), run(backend="torch", speed=650.0, rng_seed=16)]
    rec = ["--speed", "recorded"]  # against the baseline's recorded numbers (the side-by-side gate: test_speed.py)
    _fake_runs(monkeypatch, same)
    assert main(["gate", "--baseline", str(d), "--out", str(tmp_path / "a"), *rec]) == 0
    _fake_runs(monkeypatch, burst, same)  # flagged once, not by the rerun: noise
    assert main(["gate", "--baseline", str(d), "--out", str(tmp_path / "b"), *rec]) == 0
    assert "not confirmed by a rerun" in capsys.readouterr().out
    _fake_runs(monkeypatch, slow, slow)  # flagged twice: a regression
    assert main(["gate", "--baseline", str(d), "--out", str(tmp_path / "c"), *rec]) == 1
    saved = json.loads((tmp_path / "c" / "comparison.json").read_text())
    assert saved["regressions"] == 1
    assert [r["backend"] for r in saved["rows"] if r["regression"]] == ["torch"]


def test_gate_bad_input(tmp_path, capsys):

    assert main(["gate", "--baseline", str(tmp_path / "none")]) == 2
    assert "no baseline at" in capsys.readouterr().err
    d = _baseline_dir(tmp_path, [run()])
    assert main(["gate", "--baseline", str(d), "--algo", "resnet"]) == 2
    assert "not in the baseline" in capsys.readouterr().err


def _probed(r, probe):
    """Attach a CPU probe reading to every round, as a cell run with probe=True does."""
    from bench.core.probe import normalise

    probes = [probe] * (len(r.throughput.values) + 1)
    r.throughput.probe = probes
    r.throughput.normalized = normalise(r.throughput.values, probes)
    return r


def test_normalise_brackets_rounds_between_probes():
    from bench.core.probe import normalise

    assert normalise([10.0, 20.0], [1.0, 3.0, 1.0]) == [5.0, 10.0]
    assert normalise([10.0], [2.0]) == [5.0]
    assert normalise([10.0, 20.0], [1.0, 2.0, 4.0, 8.0]) == [2.5, 5.0]  # counts that do not pair: the middle probe
    assert normalise([], [1.0]) == []


def test_load_normalised_rounds_cancel_a_busy_machine_not_a_slow_step():
    base = [_probed(run(rng_seed=1), probe=100.0)]
    busy = [_probed(run(speed=600.0, rng_seed=2), probe=60.0)]  # everything 40 % slower: load
    slow = [_probed(run(speed=600.0, rng_seed=3), probe=100.0)]  # only the train step slower
    th = compare.Thresholds()  # normalised when both sides carry probes
    row = compare.compare(base, busy, th).rows[0]
    assert row.normalized and row.tp_verdict == "same" and row.ratio == pytest.approx(1.0, abs=0.06)
    assert row.tp_cur < 0.7 * row.tp_base  # the raw medians are still what the table shows
    row = compare.compare(base, slow, th).rows[0]
    assert row.normalized and row.tp_verdict == "SLOWER"
    # one side without probes, or --raw-speed: raw rounds
    assert not compare.compare(base, [run(rng_seed=4)], th).rows[0].normalized
    row = compare.compare(base, busy, compare.Thresholds(normalized=False)).rows[0]
    assert not row.normalized and row.tp_verdict == "SLOWER"


def test_cpu_probe_measures_something():
    from bench.core.probe import cpu_probe

    assert cpu_probe() > 0


def test_probed_cell_carries_normalised_rounds(tmp_path):
    """RunConfig.create(probe=True), run through the ordinary matrix, records one probe per evaluation and
    one normalised speed per timed round."""
    from bench.config import RunConfig
    from bench.execute.matrix import spawn

    r = spawn(RunConfig.create("linreg", "numpy", overrides={"epochs": "40", "eval_every": "10"}, probe=True), 120)
    tp = r.throughput
    assert r.status == "ok" and len(tp.values) == 4
    assert len(tp.probe) == 5 and all(p > 0 for p in tp.probe)
    assert len(tp.normalized) == 4 and all(n > 0 for n in tp.normalized)
    plain = spawn(RunConfig.create("linreg", "numpy", overrides={"epochs": "40", "eval_every": "10"}), 120)
    assert plain.throughput.probe is None and plain.throughput.normalized is None
    assert "probe" not in plain.throughput.to_dict() and "normalized" not in plain.throughput.to_dict()


def test_packed_runs_speed_is_not_judged_unless_asked():
    """A quality-only run's cells shared their node: a 30 % slowdown there is not judged by
    default, and is with judge_packed (--packed-speed)."""
    base = [run(backend="torch", rng_seed=1)]
    cur = [run(backend="torch", speed=700.0, rng_seed=3)]
    cur[0].card.placement = {"executor": "local", "node": "here", "exclusive": False}
    row = compare.compare(base, cur).rows[0]
    assert row.tp_verdict == "packed" and not row.regression and "speed not judged" in " ".join(row.notes)
    row = compare.compare(base, cur, compare.Thresholds(judge_packed=True)).rows[0]
    assert row.tp_verdict == "SLOWER" and row.regression


def test_a_cell_slower_side_by_side_is_measured_again_and_fails_only_when_confirmed(tmp_path, monkeypatch, capsys):
    from bench.execute import gate

    d = _baseline_dir(tmp_path, [run(backend=b, rng_seed=i) for i, b in enumerate(("tf", "torch"))])
    sessions = []

    def side_by_side(cells, ref, work, inject=None, rounds=30, *a, **k):
        sessions.append(sorted(c.backend for c in cells))
        slow = len(sessions) == 1 or confirm_too  # the first session flags torch; the second as told
        return [
            {"cell": f"{c.algo}/{c.name}", "median": 0.9, "lo": 0.85, "hi": 0.95, "n": 30, "verdict": "SLOWER"}
            if c.backend == "torch" and slow
            else {"cell": f"{c.algo}/{c.name}", "median": 1.0, "lo": 0.97, "hi": 1.03, "n": 30, "verdict": "same"}
            for c in cells
        ]

    monkeypatch.setattr(gate, "speed_side_by_side", side_by_side)
    for confirm_too, code in ((False, 0), (True, 1)):
        sessions.clear()
        _fake_runs(monkeypatch, [run(backend="tf", rng_seed=11), run(backend="torch", rng_seed=12)])
        out = tmp_path / f"confirm-{confirm_too}"
        assert main(["gate", "--baseline", str(d), "--out", str(out)]) == code
        assert sessions == [["tf", "torch"], ["torch"]]  # only the flagged cell is measured again
        rows = json.loads((out / "comparison.json").read_text())["speed_side_by_side"]
        torch = next(r for r in rows if r["cell"].endswith("/torch"))
        assert torch["verdict"] == ("SLOWER" if confirm_too else "same (unconfirmed)")
        assert torch["rerun"]["verdict"] == ("SLOWER" if confirm_too else "same")
    sessions.clear()
    _fake_runs(monkeypatch, [run(backend="tf", rng_seed=11), run(backend="torch", rng_seed=12)])
    assert main(["gate", "--baseline", str(d), "--out", str(tmp_path / "no"), "--no-confirm"]) == 1
    assert sessions == [["tf", "torch"]]  # --no-confirm: one session, its verdict stands
