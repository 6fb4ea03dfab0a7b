"""bench report: HTML + Markdown from stored results; parity from JUnit XML; bad input leaves
existing files alone; the page renders in headless Chromium."""

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.cli.main import main
from bench.core.errors import BenchError
from bench.reporting import report, report_tables, store as results
from bench.reporting.schema import Result

MACHINE = {"fingerprint": "abc123def456", "cpu": "Test CPU", "cores": 2, "memory_gib": 8.0}
SPEED = {"tf": 1000.0, "torch": 1500.0, "keras": 500.0}


def fake(algo, backend, seed, metric="nll", unit="samples/s", final=1.0):
    rng = np.random.default_rng(seed + 10 * len(backend))
    values = (SPEED[backend] * rng.lognormal(0, 0.05, 8)).tolist()
    # where the drivers stand at each evaluation: epochs and samples (supervised), or env steps in
    # "step" and episodes, updates and the training return (bench.train.rl's context)
    where = (
        (lambda e: {"epoch": e, "samples": 3200 * e})
        if unit == "samples/s"
        else (lambda e: {"episodes": 3 * e, "updates": 90 * e, "train_return": 20.0 * e if e else None})
    )
    curve = [
        {
            **where(e),
            "step": 100 * e,
            "train_time_s": 0.1 * e,
            "loss": None if e == 0 else 2.0 / e,
            metric: final + 1.0 / (e + 1) + 0.01 * seed,
        }
        for e in range(6)
    ]
    return Result(
        algo,
        backend,
        "cpu",
        seed,
        "quick",
        metric=metric,
        metrics={metric: curve[-1][metric]},
        throughput={"unit": unit, "median": float(np.median(values)), "n": 8, "values": values},
        compile_s=0.2,
        curve=curve,
        dataset="synthetic line (n=100, seed=0)",
        target=1.2,
        target_reached=seed == 0,
        time_to_target_s=0.4 if seed == 0 else None,
        card={
            "backend": backend,
            "machine": dict(MACHINE),
            "commit": "c" * 40,
            "threads": 2,
            "versions": {"numpy": "2.0"},
        },
    )


@pytest.fixture
def runs(tmp_path):
    d = tmp_path / "runs"
    for algo in ("mle_normal", "linreg"):
        for b in ("tf", "torch", "keras"):
            for s in (0, 1, 2):
                results.save(fake(algo, b, s), d)
    # an RL-like algorithm this checkout may not know: a return and env steps/s, two backends
    for b in ("tf", "torch"):
        for s in (0, 1):
            results.save(fake("dqn_like", b, s, metric="return", unit="env steps/s", final=150.0), d)
    failed = Result("linreg", "keras", "cpu", 3, "quick", status="crashed", error="the cell's process died")
    results.save(failed, d)
    return d


JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.test_parity_regression" name="test_same_predictions_and_first_losses[mle_normal-tf]"/>
<testcase classname="tests.test_parity_regression" name="test_same_predictions_and_first_losses[mle_normal-torch]"/>
<testcase classname="tests.test_parity_regression" name="test_same_predictions_and_first_losses[linreg-torch]">
  <failure message="mismatch">assert 1 == 2</failure></testcase>
<testcase classname="tests.test_parity_regression" name="test_same_predictions_and_first_losses[linreg-tf]"/>
<testcase classname="tests.test_specs" name="test_linreg_budget"/>
</testsuite></testsuites>"""


def test_report_html_and_markdown(tmp_path, runs):
    junit = tmp_path / "parity.xml"
    junit.write_text(JUNIT)
    out = tmp_path / "out"
    assert main(["report", str(runs), "--out", str(out), "--parity", str(junit), "--no-progress"]) == 0
    page = (out / "report.html").read_text()
    md = (out / "report.md").read_text()
    # summary first, then one section per algorithm, each with its table and two embedded plots
    assert page.index("id='summary-table'") < page.index("<h2 id='dqn_like'>")
    assert page.count("<table class='algo-table'>") == 3
    assert len(re.findall(r"<img class='plot' alt='[^']+' src='data:image/png;base64,", page)) == 6
    assert "env steps/s" in page and "synthetic line (n=100, seed=0)" in page
    assert "<details><summary>card</summary>" in page
    assert re.search(r"1\.[45]\d× tf", page) and re.search(r"0\.[45]\d× tf", page)  # torch, keras vs tf
    assert "passed (1)" in page and "FAILED (1 of 1)" in page and "not run" in page
    assert "crashed: the cell&#39;s process died" in page  # the template escapes what it prints
    # Markdown stands on its own: tables with numbers, image files beside it
    assert md.startswith("# Benchmark report") and "## Summary" in md and "| algorithm |" in md
    for algo in ("linreg", "mle_normal", "dqn_like"):
        for fig in ("curves", "speed"):
            assert f"(report_files/{algo}_{fig}.png)" in md
            assert (out / "report_files" / f"{algo}_{fig}.png").read_bytes()[:4] == b"\x89PNG"
    assert "| keras | cpu | 3/4 |" in md


def test_quality_median_and_interval_over_seeds(runs):
    rs = results.load_dir(runs)
    doc = report.build(rs, "tf")
    sec = next(s for s in doc["sections"] if s["algo"] == "mle_normal")
    row = next(r for r in sec["rows"] if r["backend"] == "torch")
    vals = sorted(r.value for r in rs if r.algo == "mle_normal" and r.backend == "torch")
    assert row["quality"] == pytest.approx(vals[1])
    # 3 seeds: the order-statistic interval is [min, max], with coverage 1 - 2/8
    assert row["ci"] == (pytest.approx(vals[0]), pytest.approx(vals[2])) and row["ci_coverage"] == 0.75
    # 1 of 3 seeds reached the target (at 0.4 s): the other two count as longer than the budget,
    # so the median time to target is not 0.4 s but beyond the budget
    assert row["rounds"] == 24 and row["reached"] == "1/3" and row["ttt"] == math.inf
    assert "> budget" in report.render_markdown(doc, "img")


def test_bad_input_leaves_existing_report_untouched(tmp_path, runs, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("previous report")
    (out / "report.md").write_text("previous report")
    corrupt = tmp_path / "bad"
    shutil.copytree(runs, corrupt)
    (corrupt / "zz_partial.json").write_text('{"algo": "linreg", "backend": "tf", "dev')
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        ([str(corrupt)], "cannot read result file"),
        ([str(empty)], "no result files"),
        ([str(runs), "--reference", "jax"], "reference backend 'jax' has no results"),
        ([str(runs), "--parity", str(tmp_path / "none.xml")], "no such parity results file"),
        (["0badc0de", "--db", str(tmp_path / "h.sqlite")], "no history database"),
    ]
    for argv, message in cases:
        assert main(["report", *argv, "--out", str(out), "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert (out / "report.html").read_text() == "previous report"
    assert (out / "report.md").read_text() == "previous report"
    assert not (out / "report_files").exists()


def test_html_comes_from_the_packaged_template_and_escapes_its_input(runs):
    from importlib.resources import files

    assert (files("bench") / "templates" / "report.html.j2").is_file()
    rs = results.load_dir(runs)
    rs[0].dataset = "<script>alert(1)</script>"
    rs[0].card.facts["note"] = "<b>&</b>"
    page = report.render_html(report.build(rs, "tf"))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>&</b>" not in page and "&lt;b&gt;&amp;&lt;/b&gt;" in page
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</body></html>")


def test_curves_are_drawn_against_each_kinds_x_axis(runs):
    rs = results.load_dir(runs)
    assert {r.algo: r.kind for r in rs if r.status == "ok"} == {
        "mle_normal": "supervised",
        "linreg": "supervised",
        "dqn_like": "rl",
    }
    cells = report.group(rs)
    sup = report.plot_curves("linreg", cells["linreg"], "nll")
    assert sup.axes[0].get_xlabel() == "epoch"
    assert sorted(set(sup.axes[0].get_lines()[0].get_xdata())) == [0, 1, 2, 3, 4, 5]  # epochs, not steps
    rl = report.plot_curves("dqn_like", cells["dqn_like"], "return")
    assert rl.axes[0].get_xlabel() == "environment steps"
    assert max(rl.axes[0].get_lines()[0].get_xdata()) == 500  # the RL driver's steps are env steps


def test_broken_junit_is_a_clear_error(tmp_path):
    bad = tmp_path / "parity.xml"
    bad.write_text("<testsuites><testcase")
    with pytest.raises(BenchError, match="cannot read parity results"):
        report.read_parity(bad, {"linreg"}, {"tf"})


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _screenshot(page: Path, tmp_path: Path) -> tuple:
    exe = _chromium()
    if exe is None:
        pytest.skip("headless Chromium is not installed (apt-get install -y chromium)")
    shot = tmp_path / "shot.png"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    subprocess.run(
        [exe, *flags, f"--screenshot={shot}", "--window-size=1400,2400", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    dom = subprocess.run(
        [exe, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    return shot, dom


def _check_rendered(shot: Path, dom: str, n_algos: int) -> None:
    import matplotlib.image as mpimg

    # the DOM the browser built: summary table, one table and two images per algorithm
    assert 'id="summary-table"' in dom
    assert dom.count('class="algo-table"') == n_algos
    assert len(re.findall(r'<img class="plot"[^>]+src="data:image/png;base64,', dom)) == 2 * n_algos
    # and the pixels: not blank, table headers drawn, the backends' bar colours (#ff8f00 tf,
    # #ee4c2c torch) painted by the embedded plots
    img = mpimg.imread(shot)[..., :3]
    assert img.shape[:2] == (2400, 1400)
    px = (img * 255).round().astype(int).reshape(-1, 3)
    assert px.std() > 20

    def share(rgb):
        return np.mean(np.all(np.abs(px - np.array(rgb)) <= 6, axis=1))

    assert share((0xF0, 0xF3, 0xF7)) > 1e-4  # table header background
    assert share((0xFF, 0x8F, 0x00)) > 1e-3  # tf bars
    assert share((0xEE, 0x4C, 0x2C)) > 1e-3  # torch bars


def test_report_renders_in_headless_chromium(tmp_path, runs):
    out = tmp_path / "out"
    html_path, _ = report.write(results.load_dir(runs), out)
    shot, dom = _screenshot(html_path, tmp_path)
    _check_rendered(shot, dom, 3)


@pytest.mark.slow
def test_bench_run_then_report_renders(tmp_path):
    """The whole path: ``bench run`` (three backends, two algorithms, a short budget) ->
    ``bench report`` -> headless Chromium."""
    if _chromium() is None:
        pytest.skip("headless Chromium is not installed (apt-get install -y chromium)")
    env = dict(os.environ, BENCH_HISTORY=str(tmp_path / "h.sqlite"), TF_CPP_MIN_LOG_LEVEL="3")
    runs, out = tmp_path / "runs", tmp_path / "out"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.cli.main",
            "run",
            "--algo",
            "linreg,mle_normal",
            "--backend",
            "tf,torch,keras",
            "--set",
            "epochs=40",
            "--set",
            "eval_every=10",
            "--results-dir",
            str(runs),
            "--no-progress",
        ],
        check=True,
        env=env,
        capture_output=True,
        timeout=900,
    )
    assert len(list(runs.glob("*.json"))) == 6
    subprocess.run(
        [sys.executable, "-m", "bench", "report", str(runs), "--out", str(out), "--no-progress"],
        check=True,
        env=env,
        capture_output=True,
        timeout=300,
    )
    md = (out / "report.md").read_text()
    assert "| linreg |" in md and "| mle_normal |" in md
    shot, dom = _screenshot(out / "report.html", tmp_path)
    _check_rendered(shot, dom, 2)
    saved = json.loads(next(runs.glob("*linreg_tf*.json")).read_text())
    assert saved["status"] == "ok"


def _packed(r: Result, exclusive: bool) -> Result:
    r.card.placement = {"executor": "ray", "node": "node-a", "exclusive": exclusive}
    return r


def test_the_speed_of_packed_cells_is_not_compared_unless_asked(tmp_path, capsys):
    """A quality-only run's cells shared their node: the report keeps their quality, leaves out
    their speed (and every speedup against it), and shows it with --packed-speed."""
    d = tmp_path / "runs"
    for b in ("tf", "torch"):
        for s in (0, 1):
            results.save(_packed(fake("mle_normal", b, s), exclusive=b == "tf"), d)
    rs = results.load_dir(d)
    row = {r["backend"]: r for r in report.build(rs, "tf")["sections"][0]["rows"]}
    assert row["torch"]["quality"] is not None and row["torch"]["tp_median"] is None and row["torch"]["packed"] == 2
    assert row["torch"]["speedup"] is None and row["tf"]["tp_median"] is not None and row["tf"]["packed"] == 0
    assert report_tables._speed_text(row["torch"])[0] == "– (packed, quality-only run: speed not compared)"
    shown = {r["backend"]: r for r in report.build(rs, "tf", packed_speed=True)["sections"][0]["rows"]}
    assert shown["torch"]["tp_median"] is not None and shown["torch"]["speedup"] is not None
    out = tmp_path / "out"
    assert main(["report", str(d), "--out", str(out), "--no-progress"]) == 0
    assert "speed not compared (packed)" in (out / "report.md").read_text()
    assert main(["report", str(d), "--out", str(out), "--no-progress", "--packed-speed"]) == 0
    assert "speed not compared" not in (out / "report.md").read_text()
    capsys.readouterr()


def test_a_lost_attempt_that_was_retried_is_left_out_of_the_tables():
    ok = [fake("mle_normal", b, 0) for b in ("tf", "torch")]
    lost = Result("mle_normal", "torch", "cpu", 0, "quick", status="lost", error="the Ray worker running it died")
    gone = Result("mle_normal", "torch", "cpu", 1, "quick", status="lost", error="lost on its retry too")
    row = {r["backend"]: r for r in report.build([*ok, lost, gone], "tf")["sections"][0]["rows"]}
    assert row["torch"]["seeds"] == "1/2" and "lost on its retry too" in row["torch"]["status"]
    assert "the Ray worker running it died" not in row["torch"]["status"]


def test_parity_counts_keep_keras_engines_apart(tmp_path):
    xml = tmp_path / "parity.xml"
    cases = [("mlp-keras-first_steps", ""), ("mlp-keras[jax]-first_steps", "<failure/>")]
    cases += [("mlp-keras[torch]-first_steps", ""), ("mlp-torch-first_steps", "<skipped/>")]
    body = "".join(f'<testcase classname="test_generated" name="test_parity[{n}]">{x}</testcase>' for n, x in cases)
    xml.write_text(f"<testsuites><testsuite>{body}</testsuite></testsuites>")
    counts = report.read_parity(xml, {"mlp"}, set(report.BACKEND_ORDER))
    assert counts == {
        ("mlp", "keras"): [1, 0, 0],
        ("mlp", "keras[jax]"): [0, 1, 0],
        ("mlp", "keras[torch]"): [1, 0, 0],
        ("mlp", "torch"): [0, 0, 1],
    }
