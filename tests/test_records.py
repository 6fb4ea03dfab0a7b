"""bench.reporting.schema: typed Result, CurvePoint, Throughput and ConfigCard; version-1 files (every committed
result) read unchanged; round trips; one curve x-axis per kind of spec."""

import json
import math
import re
from pathlib import Path

import pytest

from bench import specs
from bench.core.errors import BenchError
from bench.reporting import history, store as results
from bench.reporting.schema import (
    SCHEMA_VERSION,
    X_AXES,
    ConfigCard,
    CurvePoint,
    Machine,
    RecordError,
    Result,
    Throughput,
    x_axis,
)

ROOT = Path(__file__).resolve().parent.parent
SPEED = ROOT / "results" / "recorded" / "speed"  # bench speed records and the gate's calibration: not results


def _speed_record(path: Path) -> bool:
    """A bench speed record (``"kind": "speed"``, wherever it is kept) or the gate's calibration."""
    return SPEED in path.parents or json.loads(path.read_text()).get("kind") == "speed"


def _tour_record(path: Path) -> bool:
    """The quick tour's record (``"kind": "tour"``: its targets, parity rows and speed records)."""
    return path.name.startswith("tour-") and json.loads(path.read_text()).get("kind") == "tour"


SPEED_RECORDS = sorted(p for p in (ROOT / "results" / "recorded").rglob("speed-*.json") if _speed_record(p))
TOUR_RECORDS = sorted(p for p in (ROOT / "results" / "recorded").rglob("tour-*.json") if _tour_record(p))
COMMITTED = sorted(
    p for p in (ROOT / "results" / "recorded").rglob("*.json") if not _speed_record(p) and not _tour_record(p)
) + sorted((ROOT / "results" / "baselines").rglob("*.json"))
ALL_RESULT_FILES = [p for p in COMMITTED if "algo" in json.loads(p.read_text())]
RESULT_FILES = [p for p in ALL_RESULT_FILES if "schema" not in json.loads(p.read_text())]  # version 1
CURRENT_FILES = [p for p in ALL_RESULT_FILES if "schema" in json.loads(p.read_text())]


def test_there_are_committed_results_of_both_kinds():
    kinds = {specs.get(json.loads(p.read_text())["algo"]).kind for p in RESULT_FILES}
    assert len(RESULT_FILES) > 200 and kinds == {"supervised", "rl"}


@pytest.mark.parametrize("path", CURRENT_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_current_files_load_and_write_back_unchanged(path):
    on_disk = json.loads(path.read_text())
    assert on_disk["schema"] == SCHEMA_VERSION
    r = results.load(path)
    assert isinstance(r.throughput, Throughput) and isinstance(r.card, ConfigCard)
    assert r.to_dict() == on_disk  # nothing lost, nothing invented
    assert on_disk["kind"] == specs.get(r.algo).kind


@pytest.mark.parametrize("path", RESULT_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_version_1_files_load_and_write_back_unchanged(path):
    on_disk = json.loads(path.read_text())
    assert "schema" not in on_disk  # recorded before version 2
    r = results.load(path)
    assert isinstance(r.throughput, Throughput) and isinstance(r.card, ConfigCard)
    assert all(isinstance(p, CurvePoint) for p in r.curve)
    out = r.to_dict()
    assert out.pop("schema") == SCHEMA_VERSION
    kind = out.pop("kind")
    assert out == on_disk  # nothing lost, nothing invented
    # the kind read off the record is the spec's (a cell that timed out before its first
    # evaluation has nothing to tell)
    assert kind == (specs.get(r.algo).kind if r.curve else None)


def test_every_committed_file_loads_pytest_benchmark_ones_too():
    loaded = [r for p in COMMITTED if p.name != "manifest.json" for r in history.load_any(p)[0]]
    assert len(loaded) > len(RESULT_FILES)  # the pytest-benchmark files add one result per benchmark
    assert all(r.budget for r in loaded)  # a benchmark with a null quality budget still has one


def test_the_committed_speed_records_read_as_speed_records():
    from bench.reporting import speed_stats as speed_records

    records = [r for folder in sorted({p.parent for p in SPEED_RECORDS}) for r in speed_records.load_records(folder)]
    assert len(records) == len(SPEED_RECORDS) >= 11
    for rec in records:
        rows = speed_records.rows(rec)
        assert [r["configuration"] for r in rows] == [c["label"] for c in rec["configs"]]
        assert all(r["status"] == "ok" and r["rounds"] >= 5 for r in rows)


def test_the_committed_tour_reached_every_target_computed_the_same_and_measured_speed():
    """The recorded tour (results/recorded/tour): every cell reached the tour's target, every
    backend passed the first-steps parity, and the supervised algorithms' speed has intervals."""
    from bench.reporting import report_verdict, speed_stats

    assert TOUR_RECORDS
    for path in TOUR_RECORDS:
        tour = json.loads(path.read_text())
        results_here = results.load_dir(path.parent)
        speed = speed_stats.load_records(path.parent)
        rows = report_verdict.verdict(results_here, tour, speed)
        assert [r["algo"] for r in rows] == list(tour["targets"]) and len(rows) == 5
        assert all(r["reached"] and r["same"] for r in rows), rows
        supervised = [r for r in rows if specs.get(r["algo"]).kind == "supervised"]
        assert supervised and all(re.search(r"× \[[\d.]+, [\d.]+\]", r["speed"]) for r in supervised)


def _point(**kw):
    return CurvePoint.from_dict({"step": 40, "train_time_s": 1.5, "loss": 0.25, **kw})


def test_a_curve_point_separates_where_training_stood_from_the_metrics():
    sup = _point(epoch=4, samples=1280, val_acc=0.75, params=12)
    assert (sup.epoch, sup.samples, sup.episodes) == (4, 1280, None)
    assert sup.metrics == {"val_acc": 0.75, "params": 12}
    rl = _point(episodes=3, updates=30, train_return=None, eval_return=180.0)
    assert (rl.episodes, rl.updates, rl.train_return, rl.epoch) == (3, 30, None, None)
    assert rl.metrics == {"eval_return": 180.0}
    # the RL driver writes train_return even when no episode has finished yet
    assert rl.to_dict()["train_return"] is None and "epoch" not in rl.to_dict()
    # the read-only mapping view of the JSON layout, raw values
    assert rl["eval_return"] == 180.0 and rl.get("epoch") is None and "updates" in rl
    assert math.isnan(_point(loss=float("nan"))["loss"])
    with pytest.raises(TypeError):
        rl["eval_return"] = 0.0  # noqa  (the view is read-only)


def test_x_axis_per_kind():
    assert X_AXES["supervised"].name == "epoch" and X_AXES["rl"].name == "env_steps"
    sup, rl = _point(epoch=4, samples=1280), _point(episodes=3, updates=30)
    assert x_axis("supervised").of(sup) == 4
    assert x_axis("rl").of(rl) == 40  # the RL driver counts environment steps as its steps
    assert x_axis("supervised").of(rl) is None
    assert x_axis(None).of(sup) == 40  # unknown kind: the step
    assert Result("a", "tf", "cpu", 0, "quick", curve=[{"epoch": 0, "step": 0}]).x_axis.name == "epoch"
    assert Result("a", "tf", "cpu", 0, "quick", curve=[{"episodes": 0, "step": 0}]).x_axis.name == "env_steps"
    assert Result("a", "tf", "cpu", 0, "quick", throughput={"unit": "env steps/s"}).kind == "rl"


def test_new_record_round_trip(tmp_path):
    card = {
        "backend": "torch",
        "versions": {"torch": "2.13.0"},
        "threads": 2,
        "commit": "f" * 40,
        "dirty": False,
        "machine": {"cpu": "Test CPU", "cores": 2, "fingerprint": "abc"},
        "tf32": False,
    }
    r = Result(
        "mle_normal",
        "torch",
        "cpu",
        1,
        "quick",
        metric="nll",
        metrics={"nll": 1.25, "diverged_at": math.inf},
        throughput={
            "unit": "samples/s",
            "median": 10.0,
            "p25": 9.0,
            "p75": 11.0,
            "min": 8.0,
            "max": 12.0,
            "n": 3,
            "values": [9.0, 10.0, 11.0],
        },
        curve=[
            {"epoch": 0, "samples": 0, "step": 0, "train_time_s": 0.0, "loss": None, "nll": 2.0},
            {"epoch": 1, "samples": 32, "step": 1, "train_time_s": 0.1, "loss": float("nan")},
        ],
        card=card,
        kind="supervised",
    )
    r.throughput.probe, r.throughput.normalized = [5.0, 5.0, 5.0, 5.0], [1.8, 2.0, 2.2]
    path = results.save(r, tmp_path)
    saved = json.loads(path.read_text())
    assert saved["schema"] == SCHEMA_VERSION and saved["kind"] == "supervised"
    assert saved["curve"][1]["loss"] == "nan" and saved["metrics"]["diverged_at"] == "inf"  # JSON has no NaN
    assert saved["card"]["tf32"] is False and saved["card"]["machine"]["fingerprint"] == "abc"
    back = results.load(path)
    assert math.isnan(back.curve[1].loss) and back.metrics["diverged_at"] == math.inf
    back.curve[1].loss = r.curve[1].loss = None  # NaN != NaN: compare the rest field by field
    assert back == r
    assert back.card.facts == {"tf32": False} and back.card.machine == Machine(
        cpu="Test CPU", cores=2, fingerprint="abc"
    )


def test_typed_fields_take_their_json_form_on_assignment():
    r = Result("linreg", "tf", "cpu", 0, "quick")
    assert r.throughput.empty and r.card.empty and r.to_dict()["throughput"] == {} and r.to_dict()["card"] == {}
    r.throughput = {"unit": "samples/s", "values": [1.0, 2.0, float("nan")], "median": 1.5}
    r.card = {"commit": "c" * 40, "machine": {"cores": 4}}
    assert isinstance(r.throughput, Throughput) and r.throughput.rounds() == [1.0, 2.0]
    assert r.card.commit == "c" * 40 and r.card.machine.cores == 4 and r.card["machine"]["cores"] == 4
    assert Throughput(unit="samples/s", median=7.0).rounds() == [7.0]  # only the median was kept


def test_bad_and_newer_records_are_clear_errors(tmp_path):
    base = {"algo": "linreg", "backend": "tf", "device": "cpu", "seed": 0, "budget": "quick", "status": "ok"}
    cases = [
        ({"throughput": "fast"}, "partial record (throughput is not a table)"),
        ({"curve": {"epoch": 1}}, "partial record (the curve is not a list)"),
        ({"curve": [3]}, "partial record (a curve point is not a table)"),
        ({"card": {"machine": "big"}}, "partial record (the card's machine is not a table)"),
        ({"throughput": {"values": 3}}, "partial record (throughput values is not a list)"),
        ({"schema": SCHEMA_VERSION + 1}, f"result schema {SCHEMA_VERSION + 1} is newer"),
    ]
    for extra, message in cases:
        path = tmp_path / "r.json"
        path.write_text(json.dumps({**base, **extra}))
        with pytest.raises(BenchError, match=re.escape(f"cannot read result file {path}: {message}")):
            results.load(path)
    with pytest.raises(RecordError):
        Result.from_dict({**base, "throughput": [1, 2]})
