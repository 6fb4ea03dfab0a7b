"""``bench report``: the comparison report, as one self-contained HTML page and a Markdown file.

For each algorithm: quality per backend and device (median over seeds and an order-statistic
interval with its coverage, ``bench.core.stats.median_ci``), throughput (median and interquartile
range over every timed round of every seed), speedup relative to a reference backend,
time-to-target (a seed that missed the target counts as beyond its budget), parity status, the dataset actually
used, and each row's config card on demand; plots of the learning curves of the backends
overlaid, throughput bars with error bars, and speedups. A cross-algorithm summary comes first.

Parity status is read from a JUnit XML file made by the parity tests
(``pytest -k parity --junitxml=results/parity.xml``); without one it reads "not run".

The HTML page is rendered from the Jinja2 template ``bench/templates/report.html.j2`` (package
data); the Markdown is built here. The learning curves are drawn against each kind of spec's
declared x-axis (``bench.reporting.schema.X_AXES``: epochs, environment steps).

Everything is read and checked before anything is written, and the files are replaced
atomically, so bad input never leaves a half-written or overwritten report.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from bench import specs
from bench.core import modes
from bench.core.errors import BenchError
from bench.core.stats import finite, median_ci
from bench.reporting.store import Machine, atomic_write, x_axis

# Keras on its default engine (TensorFlow) is ``keras``; on the others ``keras[jax]``, ``keras[torch]``
BACKEND_ORDER = ("tf", "torch", "keras", "keras[jax]", "keras[torch]", "numpy")
COLORS = {
    "tf": "#ff8f00",
    "torch": "#ee4c2c",
    "keras": "#4a6fd1",
    "keras[jax]": "#2a9d8f",
    "keras[torch]": "#9b5de5",
    "numpy": "#555555",
}
NOT_RUN = "not run"


# statistics -------------------------------------------------------------------------------------
def rounds_of(results) -> np.ndarray:
    """Every timed round's speed of all ``results`` (a result that kept only its median: that)."""
    return np.asarray([v for r in results for v in r.throughput.rounds()], dtype=float)


def fmt(v, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, (int, np.integer)):
        return str(v)
    a = abs(v)
    if a != 0 and (a >= 1e5 or a < 1e-3):
        return f"{v:.{digits - 1}e}"
    return f"{v:.{digits}g}"


# parity ------------------------------------------------------------------------------------------
def read_parity(path: Path | None, algos, backends) -> dict:
    """{(algo, backend or '*'): [passed, failed, skipped]} from a JUnit XML of the parity tests."""
    if path is None:
        return {}
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise BenchError(f"cannot read parity results {path}: {exc}") from None
    counts: dict = {}
    names = sorted(algos, key=len, reverse=True)
    for case in root.iter("testcase"):
        cls, name = case.get("classname", ""), case.get("name", "")
        if "parity" not in (cls + " " + name).lower():
            continue
        text = name.lower()
        algo = next((a for a in names if re.search(rf"(?<![a-z0-9]){re.escape(a)}(?![a-z0-9])", text)), None)
        if algo is None:
            continue
        params = text[text.find("[") :] if "[" in text else ""
        backend = next(  # the longest name first: keras[jax] before keras
            (
                b
                for b in sorted(backends, key=len, reverse=True)
                if re.search(rf"(?<![a-z0-9]){re.escape(b)}(?![a-z0-9\[])", params)
            ),
            "*",
        )
        if case.find("failure") is not None or case.find("error") is not None:
            idx = 1
        elif case.find("skipped") is not None:
            idx = 2
        else:
            idx = 0
        counts.setdefault((algo, backend), [0, 0, 0])[idx] += 1
    return counts


def parity_status(counts: dict, algo: str, backend: str) -> str:
    got = [0, 0, 0]
    for key in ((algo, backend), (algo, "*")):
        for i, n in enumerate(counts.get(key, (0, 0, 0))):
            got[i] += n
    passed, failed, skipped = got
    if failed:
        return f"FAILED ({failed} of {passed + failed})"
    if passed:
        return f"passed ({passed})"
    if skipped:
        return "skipped"
    return NOT_RUN


# model -------------------------------------------------------------------------------------------
@dataclass
class CellStats:
    algo: str
    backend: str
    device: str
    results: list
    ok: list = field(default_factory=list)

    def __post_init__(self):
        self.ok = [r for r in self.results if r.status == "ok"]


def _retried(results) -> set:
    """The ids of ``lost`` results whose cell has another result (its retry on a cluster)."""
    others = {r.cell for r in results if r.status != "lost"}
    return {id(r) for r in results if r.status == "lost" and r.cell in others}


def axes_of(r) -> tuple[str, str]:
    """(mode, precision) of a result (bench.core.modes.of_record: older records read as the default)."""
    return modes.of_record(r.backend, r.hparams, r.card.facts.get("run_config"))


def default_axes(r) -> bool:
    mode, precision = axes_of(r)
    return not modes.known(r.backend) or (mode == modes.default(r.backend) and precision == "fp32")


def group(results) -> dict:
    """{algo: {(backend, device): CellStats}} in a stable order. The cells hold each backend's
    default mode in fp32 where an algorithm has such results (the other modes and precisions are
    in the section's modes table, :func:`modes_rows`), else all of its results. A lost attempt
    that was retried is left out (its record stays in the results directory and the history)."""
    out: dict = {}
    retried = _retried(results)
    results = [r for r in results if id(r) not in retried]
    plain = {r.algo for r in results if default_axes(r)}
    for r in results:
        if r.algo in plain and not default_axes(r):
            continue
        out.setdefault(r.algo, {}).setdefault((r.backend, r.device), []).append(r)

    def order(key):
        b, d = key
        return (BACKEND_ORDER.index(b) if b in BACKEND_ORDER else 99, b, d)

    return {
        a: {k: CellStats(a, k[0], k[1], cells[k]) for k in sorted(cells, key=order)} for a, cells in sorted(out.items())
    }


def _spec(algo):
    try:
        return specs.get(algo)
    except Exception:
        return None


def timed(results, packed_speed: bool = False) -> list:
    """The results whose speed the report compares: those that had their node to themselves (a
    quality-only run packs its cells; ``packed_speed``: theirs too)."""
    return [r for r in results if packed_speed or not r.card.shared]


def cell_row(c: CellStats, ref_speed: float | None, parity: dict, packed_speed: bool = False) -> dict:
    metric = next((r.metric for r in c.results if r.metric), None)
    q, lo, hi, cov = median_ci(finite([r.metrics.get(metric) for r in c.ok] if metric else []))
    rounds = rounds_of(timed(c.ok, packed_speed))
    tp_med = float(np.median(rounds)) if rounds.size else None
    reached = [r for r in c.ok if r.target_reached]
    # seeds that did not reach the target count as +inf (censored), not as missing
    ttt = median_ci([r.time_to_target_s if r.target_reached else None for r in c.ok])[0]
    unit = next((r.throughput.unit for r in c.ok if r.throughput.unit), "samples/s")
    compile_s = finite([r.compile_s for r in c.ok])
    return {
        "backend": c.backend,
        "device": c.device,
        "seeds": f"{len(c.ok)}/{len(c.results)}",
        "metric": metric,
        "quality": q,
        "ci": (lo, hi),
        "ci_coverage": cov,
        "unit": unit,
        "tp_median": tp_med,
        "tp_p25": float(np.percentile(rounds, 25)) if rounds.size else None,
        "tp_p75": float(np.percentile(rounds, 75)) if rounds.size else None,
        "rounds": int(rounds.size),
        "speedup": (tp_med / ref_speed) if (tp_med and ref_speed) else None,
        "compile_s": float(np.median(compile_s)) if compile_s.size else None,
        "busy": sum(1 for r in c.ok if r.card.load and r.card.load.get("busy")),
        "packed": len(c.ok) - len(timed(c.ok, packed_speed)),  # runs whose speed is left out
        "nodes": sorted({str(r.card.placement.get("node")) for r in c.ok if r.card.placement}),
        "ttt": ttt if reached else None,
        "reached": f"{len(reached)}/{len(c.ok)}" if any(r.target is not None for r in c.ok) else "no target",
        "parity": parity_status(parity, c.algo, c.backend),
        "datasets": sorted({r.dataset for r in c.results if r.dataset}),
        "status": ", ".join(sorted({f"{r.status}: {r.error}" for r in c.results if r.status != "ok"})),
        "cards": [{"seed": r.seed, "run_id": r.run_id, **r.card.to_dict()} for r in c.results],
    }


def modes_rows(results) -> tuple[list[dict], str | None]:
    """The modes table of one algorithm's results: a row per (backend, device, mode, precision)
    with samples/s (median and IQR over timed rounds), compile seconds, quality and the
    compilations inside timed rounds; the fastest configuration of each backend marked ``best``
    (among those whose quality is within the spec's ``accuracy`` tolerance of the backend's best
    quality, where the spec states one); and the line comparing the backends' bests.
    -> (rows, best-vs-best line or None). Empty when the results hold one configuration per backend."""
    by: dict = {}
    for r in results:
        by.setdefault((r.backend, r.device, *axes_of(r)), []).append(r)
    if len(by) <= len({(b, d) for b, d, _, _ in by}):
        return [], None
    rows = []
    for (b, d, mode, precision), rs in by.items():
        ok = [r for r in rs if r.status == "ok"]
        rounds = rounds_of(ok)
        metric = next((r.metric for r in rs if r.metric), None)
        quality = finite([r.metrics.get(metric) for r in ok] if metric else [])
        timed = [((r.card.facts.get("compiles") or {}).get("in_timed_rounds")) for r in ok]
        rows.append(
            {
                "backend": b,
                "device": d,
                "mode": mode,
                "precision": precision,
                "seeds": f"{len(ok)}/{len(rs)}",
                "unit": next((r.throughput.unit for r in ok if r.throughput.unit), "samples/s"),
                "tp_median": float(np.median(rounds)) if rounds.size else None,
                "tp_iqr": float(np.percentile(rounds, 75) - np.percentile(rounds, 25)) if rounds.size else None,
                "compile_s": float(np.median(finite([r.compile_s for r in ok]))) if ok else None,
                "metric": metric,
                "quality": float(np.median(quality)) if quality.size else None,
                "recompiles_timed": sum(t for t in timed if t) if any(t is not None for t in timed) else None,
                "batch": next((r.hparams.get("batch_size") for r in ok if r.hparams.get("batch_size")), None),
                "best": False,
            }
        )
    for r in rows:
        r["break_even"] = break_even(r, next((d for d in rows if _twin(d, r)), None))
    order = {b: i for i, b in enumerate(BACKEND_ORDER)}
    rows.sort(key=lambda r: (order.get(r["backend"], 99), r["device"], r["mode"], r["precision"]))
    spec = _spec(results[0].algo) if results else None
    tol = (spec.tolerances.get("accuracy") if spec else None) or 0.0
    bests = {}
    for key in {(r["backend"], r["device"]) for r in rows}:
        mine = [r for r in rows if (r["backend"], r["device"]) == key and r["tp_median"]]
        qs = [r["quality"] for r in mine if r["quality"] is not None]
        if spec and qs and spec.higher_is_better:
            mine = [r for r in mine if r["quality"] is None or r["quality"] >= max(qs) - tol]
        if mine:
            best = max(mine, key=lambda r: r["tp_median"])
            best["best"], bests[key] = True, best
    line = None
    ranked = sorted(bests.values(), key=lambda r: -r["tp_median"])
    if len(ranked) > 1:
        top = ranked[0]
        line = "best vs best: " + "; ".join(
            f"{r['backend']} {r['mode']}/{r['precision']} {fmt(r['tp_median'])} {r['unit']}"
            + ("" if r is top else f" ({fmt(top['tp_median'] / r['tp_median'], 3)}x slower than {top['backend']})")
            for r in ranked
        )
    return rows, line


def _twin(d, r) -> bool:
    """``d`` is the default-mode row of ``r``'s backend, device and precision."""
    same = (d["backend"], d["device"], d["precision"]) == (r["backend"], r["device"], r["precision"])
    return same and modes.known(d["backend"]) and d["mode"] == modes.default(d["backend"])


def break_even(r, twin) -> str | None:
    """Train steps after which a mode's extra compile time is paid back by its faster steps, against
    the backend's default mode in the same precision: "never" when its steps are not faster;
    None for the default itself or without the figures (batch size, speeds, compile times)."""
    if twin is None or twin is r or not (r["batch"] and r["tp_median"] and twin["tp_median"]):
        return None
    if r["compile_s"] is None or twin["compile_s"] is None:
        return None
    saved = r["batch"] / twin["tp_median"] - r["batch"] / r["tp_median"]  # seconds per step
    extra = r["compile_s"] - twin["compile_s"]
    if extra <= 0:  # no dearer to start: it pays from the first step if its steps are faster
        return "0" if saved > 0 else None
    return "never" if saved <= 0 else f"{math.ceil(extra / saved)}"


MODES_COLUMNS = [
    "backend",
    "mode",
    "precision",
    "seeds",
    "speed (median, IQR)",
    "compile s",
    "quality",
    "timed recompiles",
    "break-even steps",
]


def modes_cells(r) -> list:
    mark = "**" if r["best"] else ""
    speed = f"{mark}{fmt(r['tp_median'])}{mark} ({fmt(r['tp_iqr'], 3)}) {r['unit']}" if r["tp_median"] else "-"
    flag = "" if not r["recompiles_timed"] else " (flagged)"
    return [
        f"{r['backend']}/{r['device']}",
        r["mode"],
        r["precision"],
        r["seeds"],
        speed + (" best" if r["best"] else ""),
        fmt(r["compile_s"], 3),
        f"{r['metric']} {fmt(r['quality'])}" if r["quality"] is not None else "-",
        f"{r['recompiles_timed'] if r['recompiles_timed'] is not None else '-'}{flag}",
        r["break_even"] or "-",
    ]


def reference_speed(cells: dict, reference: str, packed_speed: bool = False) -> dict:
    """{device: median throughput of the reference backend}."""
    out = {}
    for (b, d), c in cells.items():
        if b == reference:
            rounds = rounds_of(timed(c.ok, packed_speed))
            if rounds.size:
                out[d] = float(np.median(rounds))
    return out


# plots -------------------------------------------------------------------------------------------
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _curve_series(result, key: str) -> dict:
    """{x: value} of one result's curve (``key``: a metric or the loss) on its kind's x-axis,
    finite values only."""
    pts = ((result.x_axis.of(p), p.value(key)) for p in result.curve)
    return {x: y for x, y in pts if x is not None and finite([y]).size}


def plot_curves(algo: str, cells: dict, metric: str):
    """Quality metric and training loss against the kind of spec's x-axis (epochs, environment
    steps): one line per backend and device (median over seeds), band from the lowest to the
    highest seed."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    kinds = {r.kind for c in cells.values() for r in c.ok if r.kind}
    xlabel = x_axis(kinds.pop() if len(kinds) == 1 else None).label
    drew = False
    widths = iter([3.4, 2.4, 1.5, 1.0, 1.0, 1.0, 1.0, 1.0] * 4)
    for (b, d), c in cells.items():
        lw = next(widths)
        for ax, key in zip(axes, (metric, "loss"), strict=True):
            series = [got for got in (_curve_series(r, key) for r in c.ok) if got]
            if not series:
                continue
            xs = sorted(set().union(*series))
            ys = np.array([[s.get(x, np.nan) for x in xs] for s in series], dtype=float)
            med = np.nanmedian(ys, axis=0)
            style = "-" if d == "cpu" else "--"
            ax.plot(xs, med, style, color=COLORS.get(b), label=f"{b} ({d})", lw=lw, alpha=0.9)
            if len(series) > 1:
                ax.fill_between(xs, np.nanmin(ys, axis=0), np.nanmax(ys, axis=0), color=COLORS.get(b), alpha=0.15)
            drew = True
    for ax, key in zip(axes, (metric, "loss"), strict=True):
        ax.set_xlabel(xlabel)
        ax.set_ylabel(key)
        ax.set_title(f"{algo}: {key}")
        ax.grid(alpha=0.3)
        lines = ax.get_lines()
        if lines:
            data = np.concatenate([ln.get_ydata() for ln in lines]).astype(float)
            data = data[np.isfinite(data)]
            if data.size and data.min() > 0 and data.max() / data.min() > 100:
                ax.set_yscale("log")
            ax.legend(fontsize=8)
    fig.tight_layout()
    return fig if drew else (plt.close(fig) or None)


def plot_speed(algo: str, rows: list, reference: str):
    plt = _plt()
    rows = [r for r in rows if r["tp_median"]]
    if not rows:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
    labels = [f"{r['backend']}\n{r['device']}" for r in rows]
    med = [r["tp_median"] for r in rows]
    err = [[r["tp_median"] - r["tp_p25"] for r in rows], [r["tp_p75"] - r["tp_median"] for r in rows]]
    colors = [COLORS.get(r["backend"], "#888") for r in rows]
    axes[0].bar(labels, med, yerr=err, capsize=5, color=colors)
    axes[0].set_ylabel(rows[0]["unit"])
    axes[0].set_title(f"{algo}: throughput (median, IQR over rounds)")
    axes[0].grid(axis="y", alpha=0.3)
    sp = [r["speedup"] if r["speedup"] is not None else 0.0 for r in rows]
    axes[1].bar(labels, sp, color=colors)
    axes[1].axhline(1.0, color="k", lw=1)
    axes[1].set_ylim(0, max([1.0] + sp) * 1.18)
    for i, v in enumerate(sp):
        axes[1].text(i, v, f"{v:.2f}×" if v else "n/a", ha="center", va="bottom", fontsize=9)
    axes[1].set_title(f"{algo}: speedup relative to {reference}")
    axes[1].set_ylabel(f"× {reference}")
    axes[1].grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    _plt().close(fig)
    return buf.getvalue()


# documents ---------------------------------------------------------------------------------------
def _quality_text(row) -> tuple:
    q = fmt(row["quality"])
    lo, hi = row["ci"]
    cov = row.get("ci_coverage")
    ci = f"[{fmt(lo)}, {fmt(hi)}] ({cov * 100:.0f}%)" if cov else ("n=1" if lo is not None else "–")
    return q, ci


def _speed_text(row) -> tuple:
    packed = row.get("packed")
    if row["tp_median"] is None:
        # a quality-only run's speed: measured beside other cells, so not compared
        return ("– (packed, quality-only run: speed not compared)" if packed else "–"), "–"
    # a figure measured while other processes kept the machine busy is marked, not hidden
    busy = f" (busy machine: {row['busy']} run(s))" if row.get("busy") else ""
    busy += f" ({packed} packed run(s) left out)" if packed else ""
    return fmt(row["tp_median"]) + busy, f"{fmt(row['tp_p25'])}–{fmt(row['tp_p75'])} (n={row['rounds']})"


def build(
    results: list, reference: str = "tf", parity: dict | None = None, progress=None, packed_speed: bool = False
) -> dict:
    """Tables and figures of the report (no files written). The speed of cells that shared their
    node (quality-only runs) is left out of every comparison unless ``packed_speed``."""
    parity = parity or {}
    groups = group(results)
    sections = []
    for algo, cells in groups.items():
        spec = _spec(algo)
        refs = reference_speed(cells, reference, packed_speed)
        rows = [cell_row(c, refs.get(c.device), parity, packed_speed) for c in cells.values()]
        metric = next((r["metric"] for r in rows if r["metric"]), None)
        figs = {}
        if metric:
            fig = plot_curves(algo, cells, metric)
            if fig is not None:
                figs["curves"] = _png(fig)
        fig = plot_speed(algo, rows, reference)
        if fig is not None:
            figs["speed"] = _png(fig)
        mode_rows, best_line = modes_rows([r for r in results if r.algo == algo])
        measured = measurement_rows([r for r in results if r.algo == algo])
        sections.append(
            {
                "modes": mode_rows,
                "measurements": measured,
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


def measurement_rows(results) -> list[dict]:
    """A row per result that carries measurements beyond the training's own
    (:mod:`bench.train.measurements`): its cell, then each measurement's value and unit."""
    names = sorted({n for r in results for n in r.measurements})
    rows = []
    for r in results:
        if r.measurements:
            row = {"backend": r.backend, "device": r.device, "seed": r.seed}
            for n in names:
                m = r.measurements.get(n)
                row[n] = f"{fmt(m.get('value'))} {m.get('unit') or ''}".strip() if m else "–"
            rows.append(row)
    return rows


def summary_rows(doc) -> list:
    out = []
    for s in doc["sections"]:
        row = {
            "algorithm": s["algo"],
            "metric": f"{s['metric']} ({'↑' if 'higher' in s['direction'] else '↓'})",
            "target": fmt(s["target"]),
        }
        for b in doc["backends"]:
            cells = [r for r in s["rows"] if r["backend"] == b]
            if not cells:
                row[b] = "–"
                continue
            parts = []
            for r in cells:
                if r["quality"] is None and r["tp_median"] is None:
                    parts.append(f"no ok result ({r['seeds']} seeds ok)")
                    continue
                sp = f" ({r['speedup']:.2f}×)" if r["speedup"] is not None else ""
                speed = f"{fmt(r['tp_median'], 3)} {r['unit']}{sp}"
                if r["tp_median"] is None and r.get("packed"):
                    speed = "speed not compared (packed)"
                parts.append(f"{fmt(r['quality'])} · {speed}" + (f" [{r['device']}]" if r["device"] != "cpu" else ""))
            row[b] = "; ".join(parts)
        statuses = {r["parity"] for r in s["rows"]}
        row["parity"] = (
            next(iter(statuses))
            if len(statuses) == 1
            else ("FAILED" if any(p.startswith("FAILED") for p in statuses) else "partial")
        )
        out.append(row)
    return out


COLUMNS = (
    "backend",
    "device",
    "seeds ok",
    "quality (median)",
    "interval (coverage)",
    "throughput (median)",
    "IQR (rounds)",
    "speedup",
    "compile s",
    "time to target s",
    "target reached",
    "parity",
    "dataset",
    "config card",
)


def _cell_cells(r, reference) -> list:
    q, ci = _quality_text(r)
    tp, iqr = _speed_text(r)
    return [
        r["backend"],
        r["device"],
        r["seeds"],
        q,
        ci,
        f"{tp} {r['unit']}" if tp != "–" else tp,
        iqr,
        f"{r['speedup']:.2f}× {reference}" if r["speedup"] is not None else "–",
        fmt(r["compile_s"], 3),
        "> budget" if r["ttt"] == math.inf else fmt(r["ttt"], 3),
        r["reached"],
        r["parity"],
        ", ".join(r["datasets"]) or "–",
    ]


def _machine_text(m: Machine) -> str:
    return f"{m.cpu if m.cpu is not None else '?'} ({m.cores if m.cores is not None else '?'} cores)"


def _status_class(text: str) -> str:
    return "bad" if text.startswith("FAILED") else ("ok" if text.startswith("passed") else "")


@lru_cache(maxsize=1)
def _template():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bench", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["status_class"] = _status_class
    return env.get_template("report.html.j2")


PLOTS = (("curves", "learning curves"), ("speed", "throughput and speedup"))


def render_html(doc) -> str:
    """The report as one self-contained HTML page (plots embedded as PNG data URIs)."""
    ref = doc["reference"]
    sections = [
        {
            **s,
            "modes_table": [[c.replace("**", "") for c in modes_cells(r)] for r in s.get("modes", [])],
            "modes_best": [r["best"] for r in s.get("modes", [])],
            "table": [
                {
                    "cells": _cell_cells(r, ref),
                    "status": r["status"][:500],
                    "card": json.dumps(r["cards"], indent=1, sort_keys=True, default=str),
                }
                for r in s["rows"]
            ],
            "plots": [
                {"alt": f"{s['algo']} {alt}", "data": base64.b64encode(s["figs"][name]).decode()}
                for name, alt in PLOTS
                if name in s["figs"]
            ],
        }
        for s in doc["sections"]
    ]
    return _template().render(
        doc=doc,
        side_by_side=doc.get("side_by_side") or [],
        side_by_side_note=SIDE_BY_SIDE_NOTE,
        summary=summary_rows(doc),
        sections=sections,
        columns=COLUMNS,
        modes_columns=MODES_COLUMNS,
        parity_column=COLUMNS.index("parity"),
        fmt=fmt,
    )


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(keys, rows) -> list:
    out = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    out += ["| " + " | ".join(_md_escape(v) for v in row) + " |" for row in rows]
    return out


def render_markdown(doc, image_dir: str) -> str:
    ref = doc["reference"]
    out = [
        "# Benchmark report: TensorFlow, PyTorch and Keras on the same algorithms",
        "",
        f"Generated {doc['generated']} from {doc['n_results']} results. Machines: "
        f"{'; '.join(doc['machines']) or '?'}. Commits: {', '.join(doc['commits']) or '?'}. "
        f"Speedups are relative to **{ref}** on the same device.",
        "",
        "## Summary",
        "",
        "Each backend cell: quality (median over seeds) · throughput (median over timed rounds) "
        "(speedup relative to the reference).",
        "",
    ]
    rows = summary_rows(doc)
    if rows:
        out += _md_table(list(rows[0]), [list(r.values()) for r in rows])
    if doc.get("side_by_side"):
        out += ["", "## Side-by-side speed (bench speed)", "", SIDE_BY_SIDE_NOTE]
        for t in doc["side_by_side"]:
            out += ["", t["meta"], ""]
            out += _md_table(list(t["rows"][0]), [list(r.values()) for r in t["rows"]])
    for s in doc["sections"]:
        out += [
            "",
            f"## {s['algo']}: {s['title']}",
            "",
            f"Metric **{s['metric']}** ({s['direction']}); target {fmt(s['target'])}; budget "
            f"{', '.join(s['budgets'])}; dataset used: {', '.join(s['datasets']) or 'unknown'}.",
            "",
        ]
        out += _md_table(COLUMNS[:-1], [_cell_cells(r, ref) for r in s["rows"]])
        if s.get("modes"):
            out += [
                "",
                "Execution modes and precisions (the best configuration of each backend in bold: the fastest "
                "whose quality is within the spec's accuracy tolerance of the backend's best):",
                "",
            ]
            out += _md_table(MODES_COLUMNS, [modes_cells(r) for r in s["modes"]])
            if s["best_vs_best"]:
                out += ["", f"**{s['best_vs_best']}**"]
        if s.get("measurements"):
            out += ["", "Measurements (bench.train.measurements):", ""]
            out += _md_table(list(s["measurements"][0]), [list(m.values()) for m in s["measurements"]])
        for r in s["rows"]:
            if r["status"]:
                out.append(f"\n{r['backend']}/{r['device']}: {r['status'][:300]}")
        for name, alt in PLOTS:
            if name in s["figs"]:
                out += ["", f"![{s['algo']} {alt}]({image_dir}/{s['algo']}_{name}.png)"]
        cards = [c for r in s["rows"] for c in r["cards"][:1]]
        if cards:
            out += [
                "",
                "<details><summary>config card (first seed of each backend)</summary>",
                "",
                "```json",
                json.dumps(cards, indent=1, sort_keys=True, default=str),
                "```",
                "",
                "</details>",
            ]
    out.append("")
    return "\n".join(out)


SIDE_BY_SIDE_NOTE = (
    "One persistent worker per configuration, compile and warm-up excluded, timed rounds in a freshly "
    "shuffled order every round. Ratio: the median of the per-round speed ratios against the reference, with "
    "a 95% bootstrap interval over the rounds. Overhead: the harness's share of the timed loop. MFU: the "
    "training FLOPs per second (the spec's layer list) over the machine's measured matmul peak."
)


def side_by_side(records: list) -> list:
    """Each ``bench speed`` record as a table: a line on how it was measured, a row per configuration."""
    from bench.reporting import speed_stats as speed_records

    return [{"meta": speed_records.meta(rec), "rows": speed_records.rows(rec)} for rec in records if rec.get("configs")]


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
) -> tuple:
    """Build everything in memory, then write HTML, Markdown and PNGs. -> (html, md) paths.
    ``speed_records``: ``bench speed`` records, shown in a section of their own."""
    if not results and not speed_records:
        raise BenchError("no results to report")
    backends_seen = {r.backend for r in results}
    if results and reference not in backends_seen:
        raise BenchError(
            f"reference backend '{reference}' has no results; choose from: {', '.join(sorted(backends_seen))}"
        )
    parity = read_parity(parity_path, {r.algo for r in results}, backends_seen | set(BACKEND_ORDER))
    doc = build(results, reference, parity, progress, packed_speed)
    doc["side_by_side"] = side_by_side(speed_records or [])
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


def speed_records_in(directory: Path) -> list:
    """The ``bench speed`` records in a results directory."""
    from bench.reporting import speed_stats as speed_records

    return speed_records.load_records(directory)
