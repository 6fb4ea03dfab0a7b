"""The report's execution-modes table: a row per (backend, device, mode, precision) of one
algorithm, the best configuration of each backend, the best-vs-best line, and the train steps
after which a mode's extra compile time pays back (:func:`break_even`)."""

from __future__ import annotations

import math

import numpy as np

from bench.core import modes
from bench.core.stats import finite
from bench.reporting.report_tables import BACKEND_ORDER, axes_of, fmt, rounds_of, spec_of


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
    spec = spec_of(results[0].algo) if results else None
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
