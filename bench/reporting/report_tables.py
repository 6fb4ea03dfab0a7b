"""The report's cell statistics and per-algorithm table rows: results grouped into cells (backend
and device, each backend's default mode in fp32), each cell's quality (median over seeds and an
order-statistic interval with its coverage, ``bench.core.stats.median_ci``), throughput (median
and interquartile range over every timed round of every seed), speedup relative to a reference
backend, time to target and parity; the measurements rows, the cross-algorithm summary rows, and
the cells of the per-algorithm table as text (``COLUMNS``)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from bench import specs
from bench.core import modes
from bench.core.stats import finite, median_ci
from bench.reporting.report_parity import parity_status

# Keras on its default engine (TensorFlow) is ``keras``; on the others ``keras[jax]``, ``keras[torch]``
BACKEND_ORDER = ("tf", "torch", "keras", "keras[jax]", "keras[torch]", "numpy")


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


def spec_of(algo):
    try:
        return specs.get(algo)
    except Exception:
        return None


def timed(results, packed_speed: bool = False) -> list:
    """The results whose speed the report compares: those that had their node to themselves (a
    quality-only run packs its cells; ``packed_speed``: theirs too), in one unit: the cell's
    commonest (an RL cell's env steps/s are not pooled with a pytest-benchmark file's samples/s of
    one update)."""
    alone = [r for r in results if packed_speed or not r.card.shared]
    units = Counter(r.throughput.unit or "samples/s" for r in alone if r.throughput.values)
    if len(units) < 2:
        return alone
    unit = units.most_common(1)[0][0]
    return [r for r in alone if (r.throughput.unit or "samples/s") == unit]


def cell_row(c: CellStats, ref_speed: float | None, parity: dict, packed_speed: bool = False) -> dict:
    metric = next((r.metric for r in c.results if r.metric), None)
    q, lo, hi, cov = median_ci(finite([r.metrics.get(metric) for r in c.ok] if metric else []))
    compared = timed(c.ok, packed_speed)
    rounds = rounds_of(compared)
    tp_med = float(np.median(rounds)) if rounds.size else None
    reached = [r for r in c.ok if r.target_reached]
    # seeds that did not reach the target count as +inf (censored), not as missing
    ttt = median_ci([r.time_to_target_s if r.target_reached else None for r in c.ok])[0]
    unit = next((r.throughput.unit for r in compared + c.ok if r.throughput.unit), "samples/s")
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


def reference_speed(cells: dict, reference: str, packed_speed: bool = False) -> dict:
    """{device: median throughput of the reference backend}."""
    out = {}
    for (b, d), c in cells.items():
        if b == reference:
            rounds = rounds_of(timed(c.ok, packed_speed))
            if rounds.size:
                out[d] = float(np.median(rounds))
    return out


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


def cell_cells(r, reference) -> list:
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
