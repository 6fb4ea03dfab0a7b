"""bench report DIR finds its records: result records and bench speed records in subdirectories
too; files that are neither are named and skipped, with a count; a damaged record is named, never
dropped without a word; no record at all is an error (exit 1)."""

import json
from pathlib import Path

import pytest
from test_report import fake

from bench.cli.main import main
from bench.reporting import history, report, store
from bench.reporting.schema import Result

ROOT = Path(__file__).resolve().parent.parent
RECORDED = ROOT / "results" / "recorded"


def _result(algo="linreg", backend="numpy", seed=0) -> Result:
    return fake(algo, "tf" if backend == "numpy" else backend, seed, metric="param_dist")


def _speed(session: str, started_at: float = 1.0) -> dict:
    rounds = [{"samples": 100, "seconds": 0.1, "loop": 0.1, "inside": 0.09} for _ in range(5)]
    return {
        "kind": "speed",
        "session": session,
        "started_at": started_at,
        "status": "finished",
        "configs": [{"label": "linreg/numpy/cpu/seed0", "algo": "linreg", "status": "ok", "rounds": rounds}],
    }


def _write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _report(capsys, *argv):
    code = main(["report", *map(str, argv), "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def tree(tmp_path):
    """Results only in subdirectories (two levels deep), speed records in speed/ and deeper, and
    files that are neither: a manifest and the gate's calibration."""
    d = tmp_path / "recorded"
    store.save(_result(seed=0), d / "foundation")
    store.save(_result(seed=1), d / "foundation")
    store.save(_result("mle_normal", seed=0), d / "modes" / "quick")
    _write(d / "speed" / "speed-20260101-000000.json", _speed("speed-a", 2.0))
    _write(d / "keras" / "speed" / "speed-20260101-000100.json", _speed("speed-b", 1.0))
    _write(d / "speed" / "gate-calibration.json", {"what": "calibration", "runs": []})
    _write(d / "baselines" / "manifest.json", {"plan": {"algos": ["linreg"]}})
    return d


def test_records_in_subdirectories_are_found_and_the_others_named(tree, tmp_path, capsys):
    code, out, err = _report(capsys, tree, "--out", tmp_path / "rep")
    assert code == 0, err
    assert f"report of 3 results (2 algorithms) and 2 speed records from {tree}" in out
    lines = err.splitlines()
    (skipped,) = [line for line in lines if "skipped" in line]
    assert skipped == (
        f"bench: skipped 2 files that are not result or speed records: {tree}/baselines/manifest.json, "
        f"{tree}/speed/gate-calibration.json"
    )
    assert "error" not in err
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "linreg" in md and "mle_normal" in md and "speed-a" in md and "speed-b" in md


def test_find_records_tells_the_kinds_apart(tree):
    found = report.find_records(tree)
    assert sorted((r.algo, r.seed) for r in found.results) == [("linreg", 0), ("linreg", 1), ("mle_normal", 0)]
    assert [rec["session"] for rec in found.speed] == ["speed-b", "speed-a"]  # oldest first
    assert [p.name for p in found.not_records] == ["manifest.json", "gate-calibration.json"]
    assert found.damaged == [] and found.files == 7


def test_a_directory_of_speed_records_and_a_calibration_file(tree, tmp_path, capsys):
    """bench report results/recorded/speed: the calibration is skipped, not 'not a result record'."""
    code, out, err = _report(capsys, tree / "speed", "--out", tmp_path / "rep")
    assert code == 0, err
    assert "report of 0 results (0 algorithms) and 1 speed records" in out
    assert "skipped 1 file that is not a result or speed record: " in err and "gate-calibration.json" in err


def test_a_speed_record_named_as_a_file_is_reported(tree, tmp_path, capsys):
    code, out, err = _report(capsys, tree / "speed" / "speed-20260101-000000.json", "--out", tmp_path / "rep")
    assert code == 0, err
    assert "report of 0 results (0 algorithms) and 1 speed records" in out


def test_many_files_that_are_no_records_are_named_a_few_then_counted(tree, tmp_path, capsys):
    for i in range(7):
        _write(tree / "notes" / f"n{i}.json", [i])
    code, _, err = _report(capsys, tree, "--out", tmp_path / "rep")
    assert code == 0, err
    (skipped,) = [line for line in err.splitlines() if "skipped" in line]
    assert skipped.startswith("bench: skipped 9 files that are not result or speed records: ")
    assert skipped.endswith(" and 4 more") and skipped.count(".json") == 5


def test_damaged_records_in_subdirectories_are_each_named_and_the_report_written(tree, tmp_path, capsys):
    truncated = _write(tree / "vision" / "zz_truncated.json", '{"algo": "linreg", "backend": "numpy", "dev')
    partial = _write(tree / "vision" / "zz_partial.json", {"algo": "linreg", "backend": "numpy"})
    bad_speed = _write(tree / "speed" / "speed-20260102-000000.json", '{"kind": "speed", "configs": [')
    no_configs = _write(tree / "other" / "speed" / "speed-20260103-000000.json", {"kind": "speed"})
    code, out, err = _report(capsys, tree, "--out", tmp_path / "rep")
    assert code == 0, err
    assert "report of 3 results (2 algorithms) and 2 speed records" in out
    lines = [line for line in err.splitlines() if line.endswith("; left out of the report")]
    assert len(lines) == 4
    for path, what in (
        (truncated, "cannot read result file"),
        (partial, "partial record (missing device, budget, seed)"),
        (bad_speed, "cannot read speed record"),
        (no_configs, "partial record (no list of configurations)"),
    ):
        (line,) = [line for line in lines if str(path) in line]
        assert line.startswith("bench: ") and what in line
    assert (tmp_path / "rep" / "report.html").is_file()


def test_a_damaged_record_in_the_named_directory_itself_is_still_an_error(tree, tmp_path, capsys):
    """docs/reporting.md: a corrupt or partial results file is a one-line error, the report left as it was."""
    out = tmp_path / "rep"
    out.mkdir()
    (out / "report.html").write_text("previous report")
    _write(tree / "zz_partial.json", '{"algo": "linreg", "backend": "tf", "dev')
    code, _, err = _report(capsys, tree, "--out", out)
    assert code == 2 and err.startswith("bench: error: cannot read result file") and "zz_partial.json" in err
    assert (out / "report.html").read_text() == "previous report"


def test_damaged_speed_records_of_a_results_directory_are_named(tmp_path):
    runs = tmp_path / "runs"
    _write(runs / "speed" / "speed-20260101-000000.json", _speed("ok"))
    _write(runs / "speed" / "speed-20260102-000000.json", '{"kind": "speed", "conf')
    damaged = []
    assert [rec["session"] for rec in report.speed_records_in(runs, damaged)] == ["ok"]
    (line,) = damaged
    assert "cannot read speed record" in line and "speed-20260102-000000.json" in line
    assert [rec["session"] for rec in report.speed_records_in(runs)] == ["ok"]  # as bench run calls it


def test_no_record_at_all_says_so_and_exits_1(tmp_path, capsys):
    d = tmp_path / "notes"
    _write(d / "a.json", {"what": "notes"})
    _write(d / "sub" / "b.json", {"what": "more notes"})
    code, out, err = _report(capsys, d, "--out", tmp_path / "rep")
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("bench: skipped 2 files that are not result or speed records")
    assert lines[1].startswith(f"bench: error: no result or speed records in {d}") and len(lines) == 2
    assert not (tmp_path / "rep" / "report.html").exists()


def test_an_empty_directory_is_still_bad_input(tmp_path, capsys):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    code, _, err = _report(capsys, tmp_path / "empty", "--out", tmp_path / "rep")
    assert code == 2 and "no result files (*.json) in" in err and err.count("\n") == 1


def test_hidden_directories_are_not_searched(tree, tmp_path):
    _write(tree / ".benchmarks" / "x.json", {"what": "pytest-benchmark's own store"})
    assert all(".benchmarks" not in str(p) for p in report.find_records(tree).not_records)


def test_every_committed_record_is_found():
    """results/recorded as the record tests count it: every result file (pytest-benchmark ones with
    a result per benchmark), every bench speed record, the tour's record; only the gate's
    calibration is none of them."""
    found = report.find_records(RECORDED)
    files = sorted(RECORDED.rglob("*.json"))
    speed = [p for p in files if json.loads(p.read_text()).get("kind") == "speed"]
    tours = [p for p in files if json.loads(p.read_text()).get("kind") == "tour"]
    calibration = RECORDED / "speed" / "gate-calibration.json"
    others = [*speed, *tours, calibration]
    results = [r for p in files if p not in others for r in history.load_any(p)[0]]
    assert found.damaged == [] and found.not_records == [calibration]
    assert len(found.speed) == len(speed) >= 11 and len(found.tours) == len(tours) >= 1
    assert sorted(r.run_id for r in found.results) == sorted(r.run_id for r in results)
    assert found.files == len(files)


def test_a_committed_subtree_reports(tmp_path, capsys):
    code, out, err = _report(capsys, RECORDED / "foundation", "--out", tmp_path / "rep")
    assert code == 0, err
    assert f"report of 9 results (3 algorithms) and 0 speed records from {RECORDED / 'foundation'}" in out
