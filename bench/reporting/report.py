"""``bench report``: the comparison report, as one self-contained HTML page and a Markdown file.

For each algorithm: quality per backend and device (median over seeds and an order-statistic
interval with its coverage, ``bench.core.stats.median_ci``), throughput (median and interquartile
range over every timed round of every seed), speedup relative to a reference backend,
time-to-target (a seed that missed the target counts as beyond its budget), parity status, the dataset actually
used, and each row's config card on demand; plots of the learning curves of the backends
overlaid, throughput bars with error bars, and speedups. A cross-algorithm summary comes first.

This module holds the entry points, :func:`build` (the document, in memory) and :func:`write`
(the files); the pieces are modules of their own, one concept each:

- ``report_tables``: the cell statistics and the per-algorithm table rows (``BACKEND_ORDER``, ``COLUMNS``)
- ``report_parity``: the parity column, read from a JUnit XML file made by the parity tests
  (``pytest -k parity --junitxml=results/parity.xml``); without one it reads "not run"
- ``report_modes``: the execution-modes table (``modes_rows``, ``break_even``)
- ``report_plots``: the learning curves and the speed plots (matplotlib)
- ``report_render``: the HTML page (Jinja2 template ``bench/templates/report.html.j2``) and the Markdown

Everything is read and checked before anything is written, and the files are replaced
atomically, so bad input never leaves a half-written or overwritten report.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.core.errors import BenchError
from bench.reporting.report_modes import modes_rows
from bench.reporting.report_parity import merged, read_parity, tour_parity
from bench.reporting.report_plots import plot_curves, plot_ratios, plot_speed, png_bytes
from bench.reporting.report_render import render_html, render_markdown
from bench.reporting.report_tables import (
    BACKEND_ORDER,
    cell_row,
    group,
    measurement_rows,
    reference_speed,
    spec_of,
)
from bench.reporting.report_verdict import verdict
from bench.reporting.schema import Machine
from bench.reporting.store import atomic_write


def build(
    results: list, reference: str = "tf", parity: dict | None = None, progress=None, packed_speed: bool = False
) -> dict:
    """Tables and figures of the report (no files written). The speed of cells that shared their
    node (quality-only runs) is left out of every comparison unless ``packed_speed``."""
    parity = parity or {}
    groups = group(results)
    sections = []
    for algo, cells in groups.items():
        spec = spec_of(algo)
        refs = reference_speed(cells, reference, packed_speed)
        rows = [cell_row(c, refs.get(c.device), parity, packed_speed) for c in cells.values()]
        metric = next((r["metric"] for r in rows if r["metric"]), None)
        figs = {}
        if metric:
            fig = plot_curves(algo, cells, metric)
            if fig is not None:
                figs["curves"] = png_bytes(fig)
        fig = plot_speed(algo, rows, reference)
        if fig is not None:
            figs["speed"] = png_bytes(fig)
        mode_rows, best_line = modes_rows([r for r in results if r.algo == algo])
        measured = measurement_rows([r for r in results if r.algo == algo])
        sections.append(
            {
                "modes": mode_rows,
                "measurements": measured,
                "tour_target": None,  # the tour's target and how the cells stand (write(): a tour's report)
                "best_vs_best": best_line,
                "algo": algo,
                "title": spec.title if spec else algo,
                "metric": metric,
                "direction": ("higher is better" if spec.higher_is_better else "lower is better") if spec else "",
                "target": next((r.target for r in results if r.algo == algo and r.target is not None), None),
                "budgets": sorted({r.budget for r in results if r.algo == algo}),
                "datasets": sorted({d for row in rows for d in row["datasets"]}),
                "rows": rows,
                "figs": figs,
                "has_ref": bool(refs),
            }
        )
        if progress:
            progress(algo)
    return {
        "sections": sections,
        "reference": reference,
        "n_results": len(results),
        "generated": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machines": sorted({_machine_text(r.card.machine or Machine()) for r in results if not r.card.empty}),
        "commits": sorted({(r.card.commit or "?")[:10] for r in results if not r.card.empty}),
        "backends": [b for b in BACKEND_ORDER if any(r.backend == b for r in results)]
        + sorted({r.backend for r in results} - set(BACKEND_ORDER)),
    }


def _machine_text(m: Machine) -> str:
    return f"{m.cpu if m.cpu is not None else '?'} ({m.cores if m.cores is not None else '?'} cores)"


def side_by_side(records: list) -> list:
    """Each ``bench speed`` record as a table (a line on how it was measured, a row per
    configuration) and a chart of its ratios with their intervals."""
    from bench.reporting import speed_stats as speed_records

    out = []
    for rec in records:
        if rec.get("configs"):
            fig = plot_ratios(rec)
            png = png_bytes(fig) if fig is not None else None
            out.append({"meta": speed_records.meta(rec), "rows": speed_records.rows(rec), "png": png})
    return out


def default_reference(results) -> str:
    """tf when it has results, else the first backend (in BACKEND_ORDER) that has."""
    seen = {r.backend for r in results}
    return next((b for b in BACKEND_ORDER if b in seen), min(seen) if seen else "tf")


def write(
    results: list,
    out_dir: Path,
    reference: str = "tf",
    parity_path: Path | None = None,
    name: str = "report",
    progress=None,
    packed_speed: bool = False,
    speed_records: list | None = None,
    tour: dict | None = None,
) -> tuple:
    """Build everything in memory, then write HTML, Markdown and PNGs. -> (html, md) paths.
    ``speed_records``: ``bench speed`` records, shown in a section of their own; ``tour``: the
    quick tour's record, whose verdict and parity come first."""
    if not results and not speed_records:
        raise BenchError("no results to report")
    backends_seen = {r.backend for r in results}
    if results and reference not in backends_seen:
        raise BenchError(
            f"reference backend '{reference}' has no results; choose from: {', '.join(sorted(backends_seen))}"
        )
    parity = read_parity(parity_path, {r.algo for r in results}, backends_seen | set(BACKEND_ORDER))
    parity = merged(parity, tour_parity(tour))  # the tour's first steps count as parity runs
    doc = build(results, reference, parity, progress, packed_speed)
    doc["side_by_side"] = side_by_side(speed_records or [])
    doc["verdict"] = verdict(results, tour, speed_records or []) if tour else []
    for row in doc["verdict"]:  # each section says how its cells stand against the tour's target
        for s in doc["sections"]:
            if s["algo"] == row["algo"]:
                s["tour_target"] = f"{row['target']}; {row['quality']}"
    out_dir = Path(out_dir)
    image_dir = f"{name}_files"
    html_text = render_html(doc)
    md_text = render_markdown(doc, image_dir)
    for s in doc["sections"]:
        for fig, data in s["figs"].items():
            path = out_dir / image_dir / f"{s['algo']}_{fig}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".png.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
    html_path, md_path = out_dir / f"{name}.html", out_dir / f"{name}.md"
    atomic_write(html_path, html_text)
    atomic_write(md_path, md_text)
    for path in (html_path, md_path):
        path.chmod(0o644)
    return html_path, md_path


def speed_records_in(directory: Path, damaged: list | None = None) -> list:
    """The ``bench speed`` records in a results directory (``speed_stats.load_records``: its
    ``speed/`` folder, or itself). ``damaged``: a list that gets a line for each file there that
    should be a speed record and cannot be read (a truncated one, say); it is left out."""
    from bench.reporting import speed_stats as speed_records

    directory = Path(directory)
    if damaged is not None:
        for path in sorted({*directory.glob("speed/*.json"), *directory.glob("speed-*.json")}):
            kind, got = read_record(path)
            if kind == DAMAGED:
                damaged.append(got)
    return speed_records.load_records(directory)


# finding records ------------------------------------------------------------------------------
# what a JSON file holds (read_record): result records (bench run's, or a pytest-benchmark file's
# benchmarks), a bench speed record, neither, or a record that cannot be read
RESULTS, SPEED_RECORD, NOT_A_RECORD, DAMAGED = "results", "speed", "not a record", "damaged"
TOUR_RECORD = "tour"  # the quick tour's record: its targets, parity and speed records (bench.execute.tour)


def read_record(path: Path) -> tuple[str, object]:
    """What the JSON file ``path`` is, read the way every loader reads it: ``(RESULTS, [Result,
    ...])`` for a result record (:func:`bench.reporting.store.from_data`) or a pytest-benchmark
    file (:func:`bench.reporting.history.load_any`); ``(SPEED_RECORD, record)`` for a ``bench
    speed`` record (``"kind": "speed"`` with its configurations); ``(NOT_A_RECORD, why)`` for JSON
    that is neither (a manifest, the gate's calibration); ``(DAMAGED, message)`` for a file that
    cannot be read, is not JSON (a truncated record) or is a partial record of either kind."""
    from bench.reporting import history
    from bench.reporting.store import from_data

    path = Path(path)
    what = "speed record" if path.name.startswith("speed-") else "result file"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return DAMAGED, f"cannot read {what} {path}: {exc}"
    if isinstance(data, dict) and data.get("kind") == "speed":
        if isinstance(data.get("configs"), list):
            return SPEED_RECORD, data
        return DAMAGED, f"cannot read speed record {path}: partial record (no list of configurations)"
    if isinstance(data, dict) and data.get("kind") == TOUR_RECORD:
        if isinstance(data.get("targets"), dict):
            return TOUR_RECORD, data
        return DAMAGED, f"cannot read tour record {path}: partial record (no targets)"
    if isinstance(data, dict) and "benchmarks" in data and "machine_info" in data:
        try:
            return RESULTS, history.from_pytest_benchmark(data, path)
        except BenchError as exc:
            return DAMAGED, str(exc)
    if not isinstance(data, dict) or "algo" not in data:
        return NOT_A_RECORD, f"{path}: neither a result record nor a bench speed record"
    try:
        return RESULTS, [from_data(data, path)]
    except BenchError as exc:
        return DAMAGED, str(exc)


@dataclass
class Found:
    """The records under a directory (:func:`find_records`)."""

    results: list = field(default_factory=list)  # Result records, pytest-benchmark ones too
    speed: list = field(default_factory=list)  # bench speed records
    tours: list = field(default_factory=list)  # the quick tour's records
    not_records: list = field(default_factory=list)  # JSON files that are neither: their paths
    damaged: list = field(default_factory=list)  # a line for each record that could not be read
    files: int = 0  # the JSON files looked at


def json_files(directory: Path) -> list[Path]:
    """Every ``*.json`` file in ``directory`` and its subdirectories, hidden ones (``.git``,
    ``.benchmarks``) and links to directories left out; in a stable order: a directory's own
    files before its subdirectories'."""
    out = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out += [Path(root) / f for f in sorted(files) if f.endswith(".json") and not f.startswith(".")]
    return out


def find_records(directory: Path) -> Found:
    """The result and ``bench speed`` records in ``directory`` and every subdirectory, told apart
    by :func:`read_record`. Files that are neither are listed, not read as records. A damaged
    record (truncated, unreadable, partial) directly in ``directory`` is a BenchError naming it,
    as a results directory's own files always were (docs/reporting.md: the report is left as it
    was); one in a subdirectory is listed in ``damaged`` and left out. A directory with no JSON
    file at all is a BenchError."""
    directory = Path(directory)
    files = json_files(directory)
    if not files:
        raise BenchError(f"no result files (*.json) in {directory}")
    found = Found(files=len(files))
    for path in files:
        kind, got = read_record(path)
        if kind == RESULTS:
            found.results += got
        elif kind == SPEED_RECORD:
            found.speed.append(got)
        elif kind == TOUR_RECORD:
            found.tours.append(got)
        elif kind == NOT_A_RECORD:
            found.not_records.append(path)
        elif path.parent == directory:
            raise BenchError(got)
        else:
            found.damaged.append(got)
    found.speed.sort(key=lambda rec: (rec.get("started_at") or 0, str(rec.get("session"))))
    found.tours.sort(key=lambda rec: (rec.get("written_at") or 0, str(rec.get("session"))))
    return found
