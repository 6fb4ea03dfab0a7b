"""Summaries of recorded RL results: per (algorithm, backend) over seeds, how many seeds
solved, the median time to solve (wall seconds of training and env steps) with a bootstrap
confidence interval, throughput, and the learning-curve area (mean greedy return over the
run's evaluations). ``python -m bench.rl.summary DIR [DIR ...]`` prints a Markdown table."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.results import load_dir


def bootstrap_median_ci(values, level: float = 0.95, n: int = 10000, seed: int = 0):
    """Percentile bootstrap CI of the median; with 3 seeds it cannot be narrower than the data."""
    v = np.asarray([x for x in values if x is not None], dtype=np.float64)
    if v.size == 0:
        return None, None, None
    if v.size == 1:
        return float(v[0]), float(v[0]), float(v[0])
    rng = np.random.default_rng(seed)
    meds = np.median(rng.choice(v, size=(n, v.size), replace=True), axis=1)
    lo, hi = np.percentile(meds, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])
    return float(np.median(v)), float(lo), float(hi)


def summarise(results) -> list[dict]:
    groups = defaultdict(list)
    for r in results:
        groups[(r.algo, r.backend, r.device)].append(r)
    rows = []
    for (algo, backend, device), rs in sorted(groups.items()):
        solved = [r for r in rs if r.target_reached]
        t_med, t_lo, t_hi = bootstrap_median_ci([r.time_to_target_s for r in solved])
        s_med, s_lo, s_hi = bootstrap_median_ci([r.steps_to_target for r in solved])
        rows.append({
            "algo": algo, "backend": backend, "device": device,
            "seeds": sorted(r.seed for r in rs), "statuses": sorted({r.status for r in rs}),
            "solved": f"{len(solved)}/{len(rs)}", "target": rs[0].target,
            "time_to_solve_s": t_med, "time_ci": (t_lo, t_hi),
            "steps_to_solve": s_med, "steps_ci": (s_lo, s_hi),
            "final_return": [r.metrics.get("eval_return") for r in rs],
            "curve_mean_return": float(np.mean([r.metrics.get("mean_eval_return", np.nan) for r in rs])),
            "env_steps_per_s": float(np.median([r.throughput.get("median") or np.nan for r in rs])),
            "updates_per_s": float(np.median([r.metrics.get("updates_per_s", np.nan) for r in rs])),
        })
    return rows


def _fmt(x, nd=0):
    if x is None:
        return "-"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_fmt(v, nd) for v in x) + "]"
    return f"{x:.{nd}f}" if isinstance(x, float) else str(x)


def markdown(rows) -> str:
    head = ("| algo | backend | seeds | solved | median time to solve, s (95% CI) | median env steps to solve (95% CI) "
            "| final greedy return | mean greedy return over the run | env steps/s | updates/s |")
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        lines.append(f"| {r['algo']} | {r['backend']} | {_fmt(r['seeds'])} | {r['solved']} | "
                     f"{_fmt(r['time_to_solve_s'])} ({_fmt(r['time_ci'][0])}-{_fmt(r['time_ci'][1])}) | "
                     f"{_fmt(r['steps_to_solve'])} ({_fmt(r['steps_ci'][0])}-{_fmt(r['steps_ci'][1])}) | "
                     f"{_fmt(r['final_return'], 1)} | {_fmt(r['curve_mean_return'], 1)} | "
                     f"{_fmt(r['env_steps_per_s'], 1)} | {_fmt(r['updates_per_s'], 1)} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    dirs = (argv if argv is not None else sys.argv[1:]) or ["results/recorded/rl"]
    results = [r for d in dirs for r in load_dir(Path(d))]
    print(markdown(summarise(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
