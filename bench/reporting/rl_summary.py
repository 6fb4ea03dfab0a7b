"""Summaries of recorded RL results: per (algorithm, backend) over seeds, how many seeds
solved, the median time to solve (wall seconds of training and env steps) with a
distribution-free confidence interval, throughput, and the learning-curve area (mean greedy
return over the run's evaluations). ``bench rl-summary [DIR ...]`` prints a Markdown table.

Time to solve is *censored*: a seed that never reached the target took longer than its budget,
so it counts as +inf, not as missing (dropping it would make the median look faster than the
runs were). The interval is ``bench.core.stats.median_ci``'s, with its achieved coverage."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench import specs
from bench.core.stats import median_ci

DEFAULT_DIR = Path("results/recorded/rl")


def summarise(results) -> list[dict]:
    groups = defaultdict(list)
    for r in results:
        groups[(r.algo, r.backend, r.device)].append(r)
    rows = []
    for (algo, backend, device), rs in sorted(groups.items()):
        solved = [r for r in rs if r.target_reached]
        t_med, t_lo, t_hi, cov = median_ci([r.time_to_target_s if r.target_reached else None for r in rs])
        s_med, s_lo, s_hi, _ = median_ci([r.steps_to_target if r.target_reached else None for r in rs])
        rows.append(
            {
                "algo": algo,
                "backend": backend,
                "device": device,
                "seeds": sorted(r.seed for r in rs),
                "statuses": sorted({r.status for r in rs}),
                "solved": f"{len(solved)}/{len(rs)}",
                "target": rs[0].target,
                "time_to_solve_s": t_med,
                "time_ci": (t_lo, t_hi),
                "ci_coverage": cov,
                "steps_to_solve": s_med,
                "steps_ci": (s_lo, s_hi),
                "final_return": [r.metrics.get("eval_return") for r in rs],
                "curve_mean_return": float(np.mean([r.metrics.get("mean_eval_return", np.nan) for r in rs])),
                "env_steps_per_s": float(
                    np.median([r.throughput.median if r.throughput.median is not None else np.nan for r in rs])
                ),
                "updates_per_s": float(np.median([r.metrics.get("updates_per_s", np.nan) for r in rs])),
            }
        )
    return rows


def _fmt(x, nd=0):
    if x is None:
        return "-"
    if isinstance(x, float) and math.isinf(x):
        return "unsolved"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_fmt(v, nd) for v in x) + "]"
    return f"{x:.{nd}f}" if isinstance(x, float) else str(x)


def markdown(rows) -> str:
    head = (
        "| algo | backend | seeds | solved | median time to solve, s (CI) | median env steps to solve (CI) "
        "| CI coverage | final greedy return | mean greedy return over the run | env steps/s | updates/s |"
    )
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        cov = "-" if r["ci_coverage"] is None else f"{r['ci_coverage'] * 100:.0f}%"
        lines.append(
            f"| {r['algo']} | {r['backend']} | {_fmt(r['seeds'])} | {r['solved']} | "
            f"{_fmt(r['time_to_solve_s'])} [{_fmt(r['time_ci'][0])}, {_fmt(r['time_ci'][1])}] | "
            f"{_fmt(r['steps_to_solve'])} [{_fmt(r['steps_ci'][0])}, {_fmt(r['steps_ci'][1])}] | "
            f"{cov} | "
            f"{_fmt(r['final_return'], 1)} | {_fmt(r['curve_mean_return'], 1)} | "
            f"{_fmt(r['env_steps_per_s'], 1)} | {_fmt(r['updates_per_s'], 1)} |"
        )
    return "\n".join(lines)


def _kind(result) -> str | None:
    """The result's kind, from the record or else its algorithm's spec (None when neither tells)."""
    if result.kind:
        return result.kind
    try:
        return specs.get(result.algo).kind
    except Exception:  # an algorithm this checkout does not know
        return None
