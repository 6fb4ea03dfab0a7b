"""``bench speed`` records: their statistics and how they read (the table, the report's section).

A record (written by :func:`bench.execute.side_by_side.interleave`) holds every configuration's rounds; everything
here is computed afresh from them, so that the table, the report, the history and the gate read
a record the same way, whichever version wrote it.

* :func:`ratio_interval`: the median of per-round ratios and a percentile-bootstrap interval for
  it (scipy's ``bootstrap`` over the rounds);
* :func:`summarise`: per configuration, the spread of its speeds and its overhead, and its ratio
  to its reference (see there which);
* :func:`rows`, :func:`meta`, :func:`table`: the record as rows and a line on how it was measured;
* :func:`load_records`: the records in a results directory.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from bench.core.stats import spread

LEVEL, RESAMPLES = 0.95, 4000


def ratio_interval(ratios, level: float = LEVEL, seed: int = 0) -> dict:
    """The median of per-round ratios and a percentile-bootstrap interval for it (scipy's
    ``bootstrap`` over the rounds). Fewer than 3 ratios: the median only."""
    from scipy.stats import bootstrap

    r = np.asarray([x for x in ratios if x is not None and math.isfinite(x)], dtype=float)
    if r.size == 0:
        return {"median": None, "lo": None, "hi": None, "n": 0, "level": level}
    med = float(np.median(r))
    if r.size < 3 or np.ptp(r) == 0:
        return {
            "median": med,
            "lo": med if r.size >= 3 else None,
            "hi": med if r.size >= 3 else None,
            "n": int(r.size),
            "level": level,
        }
    res = bootstrap(
        (r,), np.median, confidence_level=level, n_resamples=RESAMPLES, method="percentile", random_state=seed
    )
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return {"median": med, "lo": lo, "hi": hi, "n": int(r.size), "level": level}


def summarise(record: dict, reference: str | None = None, seed: int = 0) -> dict:
    """Per configuration: the spread of its rounds' samples/s and its overhead; against its
    reference, the per-round ratios' median and interval (only rounds both ran).

    The reference is ``reference`` when given. Else: when the record runs cells under several
    Python environments or as copies, each configuration's reference is the first configuration
    of the same cell (the version A/B, the self-A/B); otherwise the first configuration of the
    same algorithm (backends, modes, precisions compared within an algorithm)."""
    configs = record["configs"]

    def cell(c):  # a record without "cell": the label less its environment and copy
        return c.get("cell") or c["label"].split("@")[0].split("#")[0]

    by_cell: dict[str, str] = {}
    by_algo: dict[str, str] = {}
    for c in configs:
        by_cell.setdefault(cell(c), c["label"])
        by_algo.setdefault(c.get("algo") or c["label"].split("/")[0], c["label"])
    paired = reference is None and len(by_cell) < len(configs)
    out = {"reference": reference, "paired_by_cell": paired, "configs": {}}
    for c in configs:
        rates = [r["samples"] / r["seconds"] if r else None for r in c["rounds"]]
        over = [1.0 - r["inside"] / r["loop"] for r in c["rounds"] if r and r["loop"] > 0]
        row = {"samples_per_s": spread([x for x in rates if x is not None]), "overhead": spread(over)}
        if reference is not None:
            ref = reference
        elif paired:
            ref = by_cell[cell(c)]
        else:
            ref = by_algo[c.get("algo") or c["label"].split("/")[0]]
        row["reference"] = ref
        if c["label"] != ref:
            row["ratio"] = pair_ratio(record, c["label"], ref, seed)
        out["configs"][c["label"]] = row
    return out


def pair_ratio(record: dict, label: str, reference: str, seed: int = 0) -> dict:
    """``label``'s speed over ``reference``'s, round by round (rounds both ran): median and interval."""
    by = {c["label"]: c["rounds"] for c in record["configs"]}
    pairs = [
        (a["samples"] / a["seconds"]) / (b["samples"] / b["seconds"])
        for a, b in zip(by.get(label, []), by.get(reference, []))
        if a and b
    ]
    return ratio_interval(pairs, seed=seed)


def rows(record: dict) -> list[dict]:
    """The record's summary: one row per configuration (the table, the report), computed afresh
    from its rounds (a record written by an older version reads the same)."""
    summary = summarise(record, record.get("reference"), record.get("seed", 0))
    out = []
    for c in record["configs"]:
        s = summary["configs"].get(c["label"], {})
        sps, ratio = s.get("samples_per_s", {}), s.get("ratio")
        out.append(
            {
                "configuration": c["label"],
                "versions": _versions(c),
                "status": c["status"] if c["status"] == "ok" else f"{c['status']}: {c.get('error') or ''}"[:200],
                "rounds": sps.get("n", 0),
                "samples/s (median)": _num(sps.get("median")),
                "p25-p75": _range(sps.get("p25"), sps.get("p75")),
                "compile_s": _num(c.get("compile_s"), 3),
                "overhead": _pct(s.get("overhead", {}).get("median")),
                "ratio [95% CI]": "reference" if c["label"] == s.get("reference") else _ratio(ratio),
                "MFU": _pct(c.get("mfu")),
            }
        )
        if c.get("measure"):  # a rate of bench.train.measurements, timed instead of the train step
            out[-1] = {"measure": c["measure"], **out[-1]}
    return out


def meta(record: dict) -> str:
    """One line: when, where, how many rounds, and how busy the machine was."""
    load = record.get("load") or {}
    machine = next((c["card"].get("machine") for c in record["configs"] if c.get("card")), None) or {}
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(record.get("started_at", 0)))
    busy = load.get("other_cores")
    peaks = (record.get("efficiency") or {}).get("peaks") or {}
    peak = "; ".join(
        f"matmul peak {k.replace('/', ', ', 1).replace('/', ' thread(s), ')}: {v['flops_per_s'] / 1e9:.0f} GFLOP/s"
        for k, v in peaks.items()
    )
    return (
        f"{record.get('session', '?')} ({when}, {record.get('status', '?')}): {len(record.get('order', []))} "
        f"interleaved rounds of about {record.get('round_s', '?')} s, CPUs {record.get('cpus')}, on "
        f"{machine.get('cpu', '?')}; other work: "
        f"{'?' if busy is None else f'{busy:.2f} cores busy on average'}" + (f"; {peak}" if peak else "")
    )


def table(record: dict) -> str:
    import pandas as pd

    return pd.DataFrame(rows(record)).to_string(index=False)


def load_records(directory: Path) -> list[dict]:
    """The speed records under ``directory`` (its ``speed/`` folder, or itself), oldest first;
    a file that is not one is passed over."""
    directory = Path(directory)
    found = []
    for path in sorted([*directory.glob("speed/speed-*.json"), *directory.glob("speed-*.json")]):
        try:
            rec = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(rec, dict) and rec.get("kind") == "speed" and isinstance(rec.get("configs"), list):
            found.append(rec)
    return found


def _num(x, digits: int = 4) -> str:
    return "-" if x is None else f"{x:.{digits}g}"


def _versions(c: dict) -> str:
    v = c.get("versions") or {}
    keep = {"tensorflow", "torch", "keras", "jax", "tensorflow_probability", "tensorflow-probability"}
    return ", ".join(f"{k} {v[k]}" for k in sorted(v) if k in keep) or "-"


def _range(lo, hi) -> str:
    return "-" if lo is None or hi is None else f"{lo:.4g}-{hi:.4g}"


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.2f}%"


def _ratio(r: dict | None) -> str:
    if not r or r.get("median") is None:
        return "-"
    if r.get("lo") is None:
        return f"{r['median']:.3f}"
    return f"{r['median']:.3f} [{r['lo']:.3f}, {r['hi']:.3f}]"
