"""The tour's verdict: for each of its algorithms, whether every backend reached the tour's
target, whether the backends computed the same thing (the first-steps parity) and which is
faster, by how much, with the interval (the side-by-side speed record). Read from the tour record
(``tour-<session>.json``, :mod:`bench.execute.tour`), the results and the speed records; the
report puts it at its top and ``bench run`` prints it after the tour."""

from __future__ import annotations

import math

from bench.reporting.speed_stats import summarise


def first_reached(result, metric: str, goal: str, value: float):
    """The first evaluation of ``result`` whose ``metric`` passes the target (``goal`` "max": at
    least ``value``; "min": at most), or None; and the best value seen."""
    seen = [(p, p.value(metric)) for p in result.curve if isinstance(p.value(metric), (int, float))]
    final = result.metrics.get(metric)
    values = [v for _, v in seen] + ([final] if isinstance(final, (int, float)) else [])
    best = (max if goal == "max" else min)(values) if values else None
    for p, v in seen:
        if (v >= value) if goal == "max" else (v <= value):
            return p, best
    return None, best


def _fmt(v) -> str:
    return "–" if v is None else f"{v:.4g}"


def quality(results, target: dict) -> dict:
    """Per backend, whether it reached the tour's target, where and how far it got."""
    out = {}
    for r in results:
        point, best = first_reached(r, target["metric"], target["goal"], target["value"])
        out[r.backend] = {
            "reached": point is not None,
            "at_step": point.step if point is not None else None,
            "at_s": point.train_time_s if point is not None else None,
            "best": best,
        }
    return out


def speed_line(record: dict | None, algo: str) -> tuple[str, bool]:
    """Which backend's train step is the fastest of ``algo``'s, by how much against each other
    [interval], from one side-by-side record -> (the words, whether a ratio was measured)."""
    if record is None:
        return "speed: not measured side by side", False
    if not any((c.get("algo") or c["label"].split("/")[0]) == algo for c in record["configs"]):
        return "speed: not measured side by side (bench speed times supervised train steps)", False
    summary = summarise(record, record.get("reference"), record.get("seed", 0))
    mine = [c for c in record["configs"] if (c.get("algo") or c["label"].split("/")[0]) == algo]
    rates = {c["backend"]: summary["configs"][c["label"]]["samples_per_s"].get("median") for c in mine}
    rates = {b: v for b, v in rates.items() if v}
    if len(rates) < 2:
        return "speed: fewer than two backends measured side by side", False
    ref = next(c for c in mine if "ratio" not in summary["configs"][c["label"]])
    ratios = {c["backend"]: summary["configs"][c["label"]].get("ratio") for c in mine if c is not ref}
    order = sorted(rates, key=rates.get, reverse=True)
    parts = []
    for b in order:
        if b == ref["backend"]:
            parts.append(f"{b} 1 (the reference)")
            continue
        r = ratios.get(b) or {}
        ci = f" [{r['lo']:.2f}, {r['hi']:.2f}]" if r.get("lo") is not None else ""
        parts.append(f"{b} {r.get('median', math.nan):.2f}×{ci}")
    return f"fastest train step: {order[0]}; against {ref['backend']}: " + ", ".join(parts), True


def parity_line(tour: dict, algo: str) -> tuple[str, bool | None]:
    """Whether the backends computed the same thing: the largest gap of each output of the first
    steps against its tolerance -> (the words, True/False, or None when not compared)."""
    parity = tour.get("parity") or {}
    rows = [r for r in parity.get("rows", []) if r["algo"] == algo]
    why = (parity.get("errors") or {}).get(algo) or (parity.get("errors") or {}).get("*")
    if not rows:
        return f"parity: not compared ({why or 'no row'})", None
    words = []
    for output in ("forward", "losses", "after"):
        gaps = [r[output] for r in rows if output in r]
        if gaps:
            worst = max(gaps, key=lambda g: g["gap"])
            words.append(f"largest {output} gap {worst['gap']:.2g} ({worst['tolerance_key']} {worst['tolerance']:g})")
    ok = all(r["ok"] for r in rows)
    ref = rows[0]["reference"]
    head = "the backends computed the same thing" if ok else "the backends DIFFER"
    return f"{head} (first {rows[0]['steps']} steps against {ref}: {'; '.join(words)})", ok


def verdict(results, tour: dict, speed_records: list) -> list[dict]:
    """A row per algorithm of the tour: its target, each backend's quality, parity and speed."""
    speed = next((r for r in reversed(speed_records) if r.get("tour")), None)
    rows = []
    for algo, target in (tour.get("targets") or {}).items():
        mine = [r for r in results if r.algo == algo and r.status == "ok"]
        if not mine:
            continue
        q = quality(mine, target)
        sign = "≥" if target["goal"] == "max" else "≤"
        got = sum(v["reached"] for v in q.values())
        best = ", ".join(f"{b} {_fmt(v['best'])}" for b, v in q.items())
        parity, same = parity_line(tour, algo)
        speed_words, _ = speed_line(speed, algo)
        rows.append(
            {
                "algo": algo,
                "target": f"{target['metric']} {sign} {target['value']:g}: {target['means']}",
                "quality": f"{got} of {len(q)} backends reached the tour's target (best: {best})",
                "reached": got == len(q),
                "parity": parity,
                "same": same,
                "speed": speed_words,
            }
        )
    return rows


def lines(rows: list[dict]) -> list[str]:
    """The verdict as plain lines (the console)."""
    out = []
    for r in rows:
        out.append(f"{r['algo']}: {r['quality']}; target {r['target']}")
        out.append(f"  {r['parity']}")
        out.append(f"  {r['speed']}")
    return out
