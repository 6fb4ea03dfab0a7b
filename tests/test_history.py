"""The results history: SQLite storage, imports from bench-run JSON and pytest-benchmark JSON,
selection by session / run id / commit, pandas export, and clear errors on bad input."""

import json

import pytest

from bench.core.errors import BenchError
from bench.reporting import history, store as results
from bench.reporting.history import History
from bench.reporting.schema import Result

MACHINE = {"fingerprint": "abc123def456", "cpu": "Test CPU", "cores": 2, "memory_gib": 8.0}


def fake(algo="mle_normal", backend="torch", seed=0, value=1.5, speed=1000.0, commit="a" * 40, run_id=None, **kw):
    r = Result(
        algo,
        backend,
        "cpu",
        seed,
        "quick",
        metric="nll",
        metrics={"nll": value},
        throughput={
            "unit": "samples/s",
            "median": speed,
            "p25": speed * 0.9,
            "p75": speed * 1.1,
            "n": 3,
            "values": [speed * 0.9, speed, speed * 1.1],
        },
        card={
            "commit": commit,
            "dirty": False,
            "machine": dict(MACHINE),
            "versions": {"torch": "2.13.0", "numpy": "2.0.0"},
        },
        **kw,
    )
    if run_id:
        r.run_id = run_id
    return r


# a trimmed file written by pytest-benchmark 5 from tests/benchmarks (two of its rounds kept)
PYTEST_BENCHMARK = {
    "machine_info": {"node": "host", "machine": "x86_64", "python_version": "3.11.2"},
    "commit_info": {"id": "b7d74477c0b0d4a7c8d1ee365a64272e9f95e313", "dirty": False, "branch": "main"},
    "benchmarks": [
        {
            "group": "mle_normal",
            "name": "test_train_step[mle_normal-tf]",
            "fullname": "tests/benchmarks/test_train_step.py::test_train_step[mle_normal-tf]",
            "params": {"algo": "mle_normal", "backend": "tf"},
            "param": "mle_normal-tf",
            "extra_info": {
                "algo": "mle_normal",
                "backend": "tf",
                "device": "cpu",
                "batch_size": 32,
                "metric": "nll",
                "value": 5.0767,
                "quality_budget": "quick",
                "dataset": "synthetic fixed-scale line (n=100, seed=0)",
                "card": {"backend": "tf", "machine": dict(MACHINE), "versions": {"tensorflow": "2.21.0"}},
                "samples_per_s_median": 55999.88,
            },
            "options": {"disable_gc": False, "min_rounds": 5},
            "stats": {
                "min": 0.000543,
                "max": 0.000679,
                "mean": 0.000582,
                "stddev": 4.3e-05,
                "rounds": 2,
                "median": 0.000571,
                "iqr": 3.8e-05,
                "q1": 0.000560,
                "q3": 0.000598,
                "iqr_outliers": 1,
                "stddev_outliers": 1,
                "outliers": "1;1",
                "ld15iqr": 0.000543,
                "hd15iqr": 0.000679,
                "ops": 1717.6,
                "total": 0.0046,
                "data": [0.000543, 0.000679],
                "iterations": 5,
            },
        }
    ],
    "datetime": "2026-11-21T16:31:00.000000+00:00",
    "version": "5.1.0",
}


@pytest.fixture
def db(tmp_path):
    with History(tmp_path / "h.sqlite") as h:
        yield h


def test_add_and_select_by_session_run_and_commit(db):
    a = [fake(seed=s, commit="a" * 40) for s in range(2)]
    b = [fake(seed=0, commit="b" * 40, value=2.0)]
    assert db.add(a, "s-one") == (2, 0)
    assert db.add(b, "s-two") == (1, 0)
    assert db.add(a, "s-again") == (0, 2)  # the same run ids are not stored twice
    assert db.count() == 3
    got, what = db.select("s-one")
    assert {r.run_id for r in got} == {r.run_id for r in a} and what == "session s-one"
    got, what = db.select("bbbbbb")
    assert [r.value for r in got] == [2.0] and what.startswith("commit bbbbbbbbbbbb")
    got, _ = db.select(a[1].run_id)
    assert got[0].seed == 1 and got[0].throughput["values"] == a[1].throughput["values"]
    got, what = db.select("latest")
    assert what == "session s-two"


def test_keys_are_stored_as_columns_and_export_to_pandas(db):
    db.add([fake(), fake(backend="tf", speed=500.0)], "s")
    frame = db.to_frame()
    assert len(frame) == 2
    row = frame[frame.backend == "tf"].iloc[0]
    assert (row.algo, row.device, row.seed, row.budget) == ("mle_normal", "cpu", 0, "quick")
    assert row.commit_sha == "a" * 40 and row.fingerprint == "abc123def456"
    assert row.versions == "numpy=2.0.0;torch=2.13.0"
    assert row.tp_median == 500.0 and row.value == 1.5 and row.higher_is_better == 0
    assert len(db.to_frame(backend="torch")) == 1
    with pytest.raises(BenchError, match="unknown history column"):
        db.to_frame(colour="red")


def test_import_bench_run_files_and_pytest_benchmark(tmp_path, db):
    runs = tmp_path / "runs"
    for r in (fake(seed=0), fake(seed=1)):
        results.save(r, runs)
    pb = tmp_path / "pb.json"
    pb.write_text(json.dumps(PYTEST_BENCHMARK))
    added, kept, session = db.import_paths([runs, pb], session="imp")
    assert (added, kept, session) == (3, 0, "imp")
    frame = db.to_frame()
    assert sorted(frame.source) == ["bench-run", "bench-run", "pytest-benchmark"]
    (r,) = [x for x in db.results(source="pytest-benchmark")]
    assert r.algo == "mle_normal" and r.backend == "tf" and r.value == pytest.approx(5.0767)
    assert r.throughput["median"] == pytest.approx(32 / 0.000571)
    assert r.throughput["values"] == pytest.approx([32 / 0.000543, 32 / 0.000679])
    assert r.card["commit"] == "b7d74477c0b0d4a7c8d1ee365a64272e9f95e313"
    assert history.source_of(r) == "pytest-benchmark"


def test_bad_files_are_refused_and_nothing_is_written(tmp_path, db):
    good = tmp_path / "good"
    results.save(fake(), good)
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"algo": "linreg", "backend": ')
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"algo": "linreg", "status": "ok"}))
    odd = tmp_path / "odd.json"
    odd.write_text(
        json.dumps(
            {
                "algo": "linreg",
                "backend": "tf",
                "device": "cpu",
                "seed": 0,
                "budget": "quick",
                "status": "ok",
                "throughput": "fast",
            }
        )
    )
    for bad, message in (
        (corrupt, "cannot read result file"),
        (partial, "cannot read result file.*missing"),
        (odd, "partial record"),
        (tmp_path / "nope.json", "no such file"),
        (tmp_path, "no result files|cannot read"),
    ):
        with pytest.raises(BenchError, match=message):
            db.import_paths([good, bad])
    assert db.count() == 0  # the good file was not imported either
    pb = tmp_path / "pb.json"
    broken = json.loads(json.dumps(PYTEST_BENCHMARK))
    del broken["benchmarks"][0]["extra_info"]["algo"]
    pb.write_text(json.dumps(broken))
    with pytest.raises(BenchError, match="no algo/backend in extra_info"):
        db.import_paths([pb])


def test_empty_database_and_unknown_selectors(tmp_path, db):
    with pytest.raises(BenchError, match="is empty"):
        db.select("latest")
    db.add([fake(run_id="20260101-000000-aaaa1111"), fake(run_id="20260101-000000-aaaa2222")], "s")
    with pytest.raises(BenchError, match="unknown commit, session or run id 'deadbeef'"):
        db.select("deadbeef")
    with pytest.raises(BenchError, match="matches 2 run ids"):
        db.select("20260101-000000-aaaa")
    with pytest.raises(BenchError, match="no history database"):
        History(tmp_path / "missing.sqlite", create=False)


def test_corrupt_database_file_is_a_clear_error(tmp_path):
    path = tmp_path / "h.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(BenchError, match="cannot open history database"):
        History(path)
    assert path.read_bytes() == b"this is not a database" * 100


def test_cli_import_list_export(tmp_path, capsys, monkeypatch):
    from bench.cli.main import main

    monkeypatch.setenv("BENCH_HISTORY", str(tmp_path / "h.sqlite"))
    runs = tmp_path / "runs"
    results.save(fake(), runs)
    assert main(["history", "import", str(runs), "--session", "first"]) == 0
    assert main(["history", "list"]) == 0
    assert "first" in capsys.readouterr().out
    assert main(["history", "export", str(tmp_path / "h.csv")]) == 0
    assert "mle_normal" in (tmp_path / "h.csv").read_text()
    assert main(["history", "import", str(tmp_path / "missing")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
