"""Head-to-head learning curves of two algorithms run on the same seeds:
``bench curves A B DIR [DIR ...] --metric M [--from-epoch E]``.

Runs of A and B are paired on (backend, device, seed). For every pair it counts, over the
evaluations both made at the same epoch (from ``--from-epoch`` on), how often A's metric is at
least B's, and gives both at the last shared epoch and at their best; per backend, the same for
the seed means at each epoch. "Epoch" is the kind of spec's curve axis
(``bench.reporting.schema.X_AXES``): epochs for supervised specs, environment steps for RL ones. A claim
such as "GAP's validation accuracy is at least FC's at equal epochs" is read off these counts:
every evaluation, not one chosen epoch. Exit status 2, with a message, when there is nothing to
compare or the metric is not in the curves.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from bench.core.errors import BenchError
from bench.reporting.schema import is_number


def _curve(result, metric, from_epoch):
    """{x: metric} of one run's curve on its kind's x-axis, from ``from_epoch`` on."""
    axis = result.x_axis
    points = {
        x: p.value(metric)
        for p in result.curve
        if (x := axis.of(p)) is not None and x >= from_epoch and is_number(p.value(metric))
    }
    if not points:
        raise BenchError(
            f"{result.algo} {result.backend} seed {result.seed}: no '{metric}' "
            f"in its curve from {axis.name} {from_epoch} on"
        )
    return points


def _versus(a, b):
    """Counts and end points of two {epoch: value} curves over their shared epochs."""
    epochs = sorted(set(a) & set(b))
    if not epochs:
        raise BenchError("the two curves share no evaluated epoch")
    return {
        "epochs": epochs,
        "a_ge_b": sum(a[e] >= b[e] for e in epochs),
        "n": len(epochs),
        "last": (a[epochs[-1]], b[epochs[-1]]),
        "best": (max(a.values()), max(b.values())),
    }


def compare(results, algo_a, algo_b, metric, from_epoch=0) -> dict:
    runs = defaultdict(dict)
    for r in results:
        if r.algo in (algo_a, algo_b) and r.status == "ok":
            runs[(r.backend, r.device, r.seed)][r.algo] = r
    pairs = {k: v for k, v in sorted(runs.items()) if len(v) == 2}
    if not pairs:
        raise BenchError(f"no (backend, device, seed) has finished runs of both {algo_a} and {algo_b}")
    axes = {r.x_axis for v in pairs.values() for r in v.values()}
    if len(axes) > 1:
        raise BenchError(
            f"{algo_a} and {algo_b} have curves on different axes "
            f"({', '.join(sorted(a.name for a in axes))}); they cannot be compared point by point"
        )
    out = {"pairs": [], "backends": [], "axis": axes.pop()}
    by_backend = defaultdict(list)
    for (backend, device, seed), v in pairs.items():
        a, b = (_curve(v[x], metric, from_epoch) for x in (algo_a, algo_b))
        out["pairs"].append(
            dict(
                _versus(a, b),
                backend=backend,
                device=device,
                seed=seed,
                params=(v[algo_a].metrics.get("params"), v[algo_b].metrics.get("params")),
            )
        )
        by_backend[(backend, device)].append((a, b))
    for (backend, device), curves in sorted(by_backend.items()):
        shared = sorted(set.intersection(*(set(a) & set(b) for a, b in curves)))
        mean_a = {e: float(np.mean([a[e] for a, _ in curves])) for e in shared}
        mean_b = {e: float(np.mean([b[e] for _, b in curves])) for e in shared}
        out["backends"].append(
            dict(
                _versus(mean_a, mean_b),
                backend=backend,
                device=device,
                seeds=sorted(s for (bk, d, s) in pairs if (bk, d) == (backend, device)),
            )
        )
    return out


def markdown(cmp, algo_a, algo_b, metric) -> str:
    x = cmp["axis"]
    lines = [
        f"{metric}: {algo_a} (A) vs {algo_b} (B)",
        "",
        f"| backend | seed | A >= B at | last shared {x.name}: A / B | best: A / B | parameters A / B |",
        "|---|---|---|---|---|---|",
    ]
    for p in cmp["pairs"]:
        lines.append(
            f"| {p['backend']} | {p['seed']} | {p['a_ge_b']}/{p['n']} ({x.plural} {p['epochs'][0]}-{p['epochs'][-1]}) "
            f"| {p['last'][0]:.3f} / {p['last'][1]:.3f} ({x.name} {p['epochs'][-1]}) "
            f"| {p['best'][0]:.3f} / {p['best'][1]:.3f} | {p['params'][0]} / {p['params'][1]} |"
        )
    lines += [
        "",
        f"Seed means per {x.name}:",
        "",
        f"| backend | seeds | A >= B at | last shared {x.name}: A / B | best mean: A / B |",
        "|---|---|---|---|---|",
    ]
    for m in cmp["backends"]:
        lines.append(
            f"| {m['backend']} | {','.join(map(str, m['seeds']))} | {m['a_ge_b']}/{m['n']} "
            f"| {m['last'][0]:.3f} / {m['last'][1]:.3f} ({x.name} {m['epochs'][-1]}) "
            f"| {m['best'][0]:.3f} / {m['best'][1]:.3f} |"
        )
    return "\n".join(lines)
