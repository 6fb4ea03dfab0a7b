"""The quick tour's showcase: its settings and targets, the first-steps parity it runs (which can
fail), its verdict (quality against the tour's targets, parity, speed with intervals) and the
report that shows them first, checked in headless Chromium."""

import json
import re

import numpy as np
import pytest
from test_report import _screenshot, fake

from bench import specs
from bench.plan import tour
from bench.reporting import report, report_verdict
from bench.train import parity


def test_every_tour_algorithm_has_a_target_and_its_settings_resolve():
    assert set(tour.TARGETS) == set(tour.ALGOS)
    for algo in tour.ALGOS:
        spec = specs.get(algo)
        hp = spec.resolve("quick", tour.settings(algo, "quick"))  # bad settings would raise here
        metric = tour.TARGETS[algo][0]
        assert tour.TARGETS[algo][1] in ("max", "min") and metric
        assert all(hp[k] is not None for k in tour.settings(algo, "quick"))


def test_a_target_is_reached_at_the_first_evaluation_that_passes_it():
    r = fake("linreg", "tf", 0, metric="mse_gap")  # mse_gap: 2.0, 1.5, 1.33, 1.25, 1.2, 1.17 (falling)
    point, best = report_verdict.first_reached(r, "mse_gap", "min", 1.3)
    assert point.step == 300 and best == pytest.approx(1 + 1 / 6)
    assert report_verdict.first_reached(r, "mse_gap", "min", 1.0)[0] is None
    assert report_verdict.first_reached(r, "mse_gap", "max", 1.9)[0].step == 0


def test_gap_is_absolute_or_relative_as_the_tolerance_is_named():
    assert parity.gap([1.0, 2.5], [1.0, 2.0], "predict_atol") == pytest.approx(0.5)
    assert parity.gap([1.0, 2.5], [1.0, 2.0], "loss_rtol") == pytest.approx(0.25)


def test_first_steps_parity_holds_and_can_fail(monkeypatch):
    rows = parity.first_steps("mle_normal", ["numpy", "torch"])
    assert [r["backend"] for r in rows] == ["torch"] and rows[0]["ok"]
    assert rows[0]["losses"]["gap"] <= rows[0]["losses"]["tolerance"] == specs.get("mle_normal").tolerances["loss_rtol"]
    # one backend's weights moved by 1%: the same protocol must say the backends differ
    from bench.train import runner

    real = runner.build_learner

    def moved(spec, hp, backend, *a, **k):
        learner = real(spec, hp, backend, *a, **k)
        if backend == "torch":
            learner.set_weights({n: w * 1.01 for n, w in learner.get_weights().items()})
        return learner

    monkeypatch.setattr(runner, "build_learner", moved)
    rows = parity.first_steps("mle_normal", ["numpy", "torch"])
    assert not rows[0]["ok"] and rows[0]["losses"]["gap"] > rows[0]["losses"]["tolerance"]


def tour_record(ok=True, targets=None):
    rows = [
        {
            "algo": "linreg",
            "backend": b,
            "reference": "tf",
            "steps": 2,
            "ok": ok,
            "forward": {"gap": 0.0, "tolerance_key": "predict_atol", "tolerance": 1e-5},
            "losses": {"gap": 6e-8 if ok else 3e-3, "tolerance_key": "loss_rtol", "tolerance": 1e-4},
        }
        for b in ("torch", "keras")
    ]
    targets = targets or {"linreg": {"metric": "nll", "goal": "min", "value": 1.5, "means": "a line fitted"}}
    return {"kind": "tour", "targets": targets, "parity": {"protocol": "first_steps", "rows": rows, "errors": {}}}


def speed_record():
    rng = np.random.default_rng(0)

    def rounds(rate):
        return [
            {"seconds": 0.1, "samples": int(rate * 0.1 * f), "inside": 0.09, "loop": 0.1}
            for f in rng.normal(1, 0.02, 12)
        ]

    configs = [
        {"label": f"linreg/{b}/cpu/seed0", "algo": "linreg", "backend": b, "status": "ok", "rounds": rounds(rate)}
        for b, rate in (("tf", 1000.0), ("torch", 2000.0), ("keras", 500.0))
    ]
    return {"kind": "speed", "tour": True, "configs": configs, "order": [], "seed": 0, "started_at": 0}


def test_the_verdict_says_who_reached_the_target_whether_they_agree_and_who_is_faster():
    results = [fake("linreg", b, 0) for b in ("tf", "torch", "keras")]  # nll falls to 1.17: target 1.5 reached
    (row,) = report_verdict.verdict(results, tour_record(), [speed_record()])
    assert row["reached"] and row["quality"].startswith("3 of 3 backends reached the tour's target")
    assert row["same"] and row["parity"].startswith("the backends computed the same thing")
    assert "largest losses gap 6e-08 (loss_rtol 0.0001)" in row["parity"]
    words = row["speed"]  # torch twice tf's speed, keras half, each round within 2%
    assert words.startswith("fastest train step: torch; against tf: torch ") and "tf 1 (the reference)" in words
    (torch, lo, hi), (keras, *_) = [
        tuple(map(float, m)) for m in re.findall(r"([\d.]+)× \[([\d.]+), ([\d.]+)\]", words)
    ]
    assert lo <= torch <= hi and 1.9 < lo and hi < 2.1 and 0.45 < keras < 0.55
    # and what it says when they do not
    strict = {"linreg": {"metric": "nll", "goal": "min", "value": 0.5, "means": "unreachable"}}
    (row,) = report_verdict.verdict(results, tour_record(ok=False, targets=strict), [])
    assert not row["reached"] and row["quality"].startswith("0 of 3")
    assert row["same"] is False and row["parity"].startswith("the backends DIFFER")
    assert row["speed"] == "speed: not measured side by side"


def test_the_tour_report_shows_its_verdict_and_parity_first(tmp_path):
    results = [fake("linreg", b, s) for b in ("tf", "torch", "keras") for s in (0, 1)]
    out = tmp_path / "out"
    html, md = report.write(results, out, speed_records=[speed_record()], tour=tour_record())
    text = md.read_text()
    assert text.index("## Verdict") < text.index("## Parity: the same computation") < text.index("## Summary")
    assert "3 of 3 backends reached the tour's target" in text
    assert "| linreg | nll (↓) |" in text and "passed (1)" in text  # the tour's parity in the summary's column
    shot, dom = _screenshot(html, tmp_path)
    assert 'id="verdict-table"' in dom and 'id="parity"' in dom
    assert dom.index('id="verdict"') < dom.index('id="summary"')
    import matplotlib.image as mpimg

    top = (mpimg.imread(shot)[:700, :, :3] * 255).round().astype(int).reshape(-1, 3)
    green = np.mean(np.all(np.abs(top - np.array((0x1B, 0x7A, 0x1B))) <= 40, axis=1))
    assert green > 1e-4  # the verdict's reached and same cells, drawn in the page's top


def test_the_tour_record_is_found_beside_the_results(tmp_path):
    (tmp_path / "tour-20261208-000000.json").write_text(json.dumps(tour_record()))
    (found,) = report.find_records(tmp_path).tours
    assert found["kind"] == "tour" and found["targets"]["linreg"]["value"] == 1.5


@pytest.mark.slow
def test_the_real_tour_reaches_every_target_agrees_and_measures_speed(tmp_path):
    """The whole first run, offline, with no data directory: ``bench run`` exits 0, every cell
    reaches the tour's target, every backend passes the first-steps parity, the supervised steps
    have side-by-side intervals, and the report's verdict comes first (results/recorded/tour)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "BENCH_DATA_DIR"}
    env.update(BENCH_OFFLINE="1", HOME=str(tmp_path / "home"), TF_CPP_MIN_LOG_LEVEL="3")
    runs = tmp_path / "runs"
    got = subprocess.run(
        [sys.executable, "-m", "bench", "run", "--results-dir", str(runs), "--no-progress", "--no-history"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert got.returncode == 0, got.stderr[-2000:]
    (record,) = report.find_records(runs).tours
    from bench.reporting import speed_stats, store

    rows = report_verdict.verdict(store.load_dir(runs), record, speed_stats.load_records(runs))
    assert len(rows) == 5 and all(r["reached"] and r["same"] for r in rows), rows
    assert all("×" in r["speed"] for r in rows if specs.get(r["algo"]).kind == "supervised")
    md = (runs / "report.md").read_text()
    assert md.index("## Verdict") < md.index("## Summary") and "the tour's verdict:" in got.stdout
