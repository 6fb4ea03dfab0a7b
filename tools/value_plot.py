"""Figures and the speed table of the value-prediction runs (docs/value_prediction.md).

``python -m tools.value_plot RESULTS_DIR OUT_DIR`` reads the gradient_mc and
semi_gradient_td0 results in RESULTS_DIR (and, when it exists, RESULTS_DIR/plateau) and writes:

* ``value_prediction_<algo>.png``: left, the learned v_hat of every backend (its final group
  values, one line per result) over the 1000 states against the true v_pi, the algorithm's
  limit (MC optimum or TD fixed point) and the on-policy distribution mu; right, VE over the
  episodes of every result with the limit's VE.
* ``value_prediction_plateau.png`` (from RESULTS_DIR/plateau): VE minus the limit's VE over the
  episodes of each seed, with the full budget marked: where the plateau starts.

and prints the speed table (Markdown): updates/s per backend (median over timed rounds, IQR),
the single-update latency, compile time, final VE, and the machine's load during the run; and,
when RESULTS_DIR/td_step_size exists, the step-size table of semi-gradient TD(0) (those runs and
the seed-0 plateau run).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from bench import specs
from bench.core.data import random_walk as rw
from bench.core.errors import BenchError
from bench.reporting.store import load_dir
from bench.specs.families.value import walk_of

ALGOS = ("gradient_mc", "semi_gradient_td0")
ORDER = ("tf", "torch", "keras", "numpy")
STYLE = {
    "tf": dict(color="#ff8f00", lw=6, alpha=0.55),
    "torch": dict(color="#d62728", lw=3.5, alpha=0.8),
    "keras": dict(color="#1f5fd6", lw=1.8),
    "numpy": dict(color="black", lw=1.0, ls="--"),
}
LIMIT = {"gradient_mc": "MC optimum (state aggregation)", "semi_gradient_td0": "TD fixed point"}
SHORT = {"gradient_mc": "MC optimum", "semi_gradient_td0": "TD fixed point"}


def _results(directory: Path) -> dict:
    by_algo = {a: [] for a in ALGOS}
    for r in load_dir(directory):
        if r.algo in by_algo and r.status == "ok":
            by_algo[r.algo].append(r)
    for rs in by_algo.values():
        rs.sort(key=lambda r: (ORDER.index(r.backend) if r.backend in ORDER else 9, r.seed))
    return by_algo


def plot_algo(algo: str, results: list, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hp = results[0].hparams
    walk, gamma, k = walk_of(hp), float(hp["gamma"]), int(hp["n_groups"])
    states = np.arange(1, walk.n_states + 1)
    g = rw.groups(walk, k)
    limit = rw.mc_optimum(walk, k, gamma) if algo == "gradient_mc" else rw.td_fixed_point(walk, k, gamma)
    fig, (ax, ax_ve) = plt.subplots(1, 2, figsize=(13, 4.6))
    ax.plot(states, rw.true_values(walk, gamma), color="#2ca02c", lw=1.5, label="true value v_pi (DP)")
    ax.plot(states, np.asarray(limit)[g], color="grey", lw=1, ls=":", label=LIMIT[algo])
    seen = set()
    for r in results:
        w = np.asarray(r.metrics["v_hat_groups"])
        label = f"{r.backend}" + (
            f" (seeds {sorted(x.seed for x in results if x.backend == r.backend)})" if r.backend not in seen else ""
        )
        ax.plot(states, w[g], label=label if r.backend not in seen else None, **STYLE.get(r.backend, {}))
        seen.add(r.backend)
    ax.set_xlabel("state")
    ax.set_ylabel("value")
    ax.set_title(f"{algo}: learned v_hat after {results[0].metrics['episodes']} episodes")
    ax.legend(loc="upper left", fontsize=8)
    mu_ax = ax.twinx()
    mu_ax.fill_between(states, rw.on_policy_distribution(walk), color="grey", alpha=0.15, step="mid")
    mu_ax.set_ylabel("on-policy distribution mu", color="grey")
    seen = set()
    for r in results:
        xs = [p.episodes for p in r.curve]
        ax_ve.plot(
            xs,
            [p.metrics["ve"] for p in r.curve],
            label=r.backend if r.backend not in seen else None,
            **{**STYLE.get(r.backend, {}), "lw": max(1.0, STYLE.get(r.backend, {}).get("lw", 1) / 2)},
        )
        seen.add(r.backend)
    ref = results[0].metrics["ve_reference"]
    ax_ve.axhline(ref, color="grey", ls=":", label=f"VE of the {LIMIT[algo]} = {ref:.4f}")
    ax_ve.set_xlabel("episodes")
    ax_ve.set_ylabel("VE (RMS, mu-weighted)")
    ax_ve.set_ylim(0, max(p.metrics["ve"] for r in results for p in r.curve) * 1.05)
    ax_ve.set_title(f"{algo}: value error, lr {hp['lr']:g}")
    ax_ve.legend(fontsize=8)
    fig.tight_layout()
    path = out / f"value_prediction_{algo}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_plateau(by_algo: dict, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    present = [a for a in ALGOS if by_algo[a]]
    fig, axes = plt.subplots(1, len(present), figsize=(6.5 * len(present), 4.2), squeeze=False)
    for ax, algo in zip(axes[0], present):
        full = specs.get(algo).resolve("full")
        for r in by_algo[algo]:
            ax.plot(
                [p.episodes for p in r.curve],
                [p.metrics["ve_gap"] for p in r.curve],
                lw=1,
                label=f"{r.backend} seed {r.seed}",
            )
        ax.axvline(full["episodes"], color="black", ls="--", lw=1, label=f"full budget: {full['episodes']} episodes")
        for y in (0.01, -0.01):
            ax.axhline(y, color="grey", ls=":", lw=1)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_ylim(-0.03, 0.1)
        ax.set_xlabel("episodes")
        ax.set_ylabel(f"VE - VE of the {SHORT[algo]}")
        ax.set_title(f"{algo}, lr {by_algo[algo][0].hparams['lr']:g}: VE minus the {SHORT[algo]}'s VE")
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / "value_prediction_plateau.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def speed_table(by_algo: dict) -> str:
    """Markdown: one row per (algorithm, backend), medians over the backend's seeds."""
    rows = [
        "| algorithm | backend | seeds | episodes (updates) | final VE | VE - limit's VE | updates/s, median of "
        "rounds [IQR] | us per update | x numpy's time per update | single-update call, us [IQR] | compile s | "
        "per seed: updates/s (1-min load average at the start; other processes' busy cores) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for algo in ALGOS:
        groups = {b: [r for r in by_algo[algo] if r.backend == b] for b in ORDER}

        def med(rs, get):
            return float(np.median([get(r) for r in rs]))

        floor = med(groups["numpy"], lambda r: r.throughput.median) if groups["numpy"] else None
        for backend, rs in groups.items():
            if not rs:
                continue
            rate = med(rs, lambda r: r.throughput.median)
            lat = [
                med(rs, lambda r, k=k: r.metrics[k])
                for k in ("update_latency_us", "update_latency_p25_us", "update_latency_p75_us")
            ]
            per_seed = []
            for r in rs:
                load = r.card.load or {}
                avg, other = (load.get("loadavg_start") or [None])[0], load.get("other_cores")
                per_seed.append(
                    f"s{r.seed}: {r.throughput.median:,.0f} ({'?' if avg is None else f'{avg:.1f}'}; "
                    f"{'?' if other is None else f'{other:.2f}'})"
                )
            rows.append(
                f"| {algo} | {backend} | {sorted(r.seed for r in rs)} | {rs[0].metrics['episodes']} "
                f"({rs[0].metrics['updates']}) | {med(rs, lambda r: r.metrics['ve']):.4f} | "
                f"{med(rs, lambda r: r.metrics['ve_gap']):+.4f} | {rate:,.0f} "
                f"[{med(rs, lambda r: r.throughput.p25):,.0f}-{med(rs, lambda r: r.throughput.p75):,.0f}] | "
                f"{1e6 / rate:.1f} | {f'{floor / rate:.1f}x' if floor else '-'} | "
                f"{lat[0]:,.0f} [{lat[1]:,.0f}-{lat[2]:,.0f}] | {med(rs, lambda r: r.compile_s):.3f} | "
                f"{', '.join(per_seed)} |"
            )
    return "\n".join(rows)


def sweep_table(results: list) -> str:
    """Markdown: one row per step size (``lr``) of semi-gradient TD(0) runs: when VE first comes
    within 0.02 and 0.01 of the fixed point's VE, how far it strays after that, and where it ends."""
    rows = [
        "| lr | episodes | first within 0.02 (episodes) | first within 0.01 | largest abs(VE - limit) after that | "
        "mean VE - limit, second half | final VE - limit |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in sorted(results, key=lambda r: (r.hparams["lr"], r.seed)):
        eps = np.array([p.episodes for p in r.curve])
        gap = np.array([p.metrics["ve_gap"] for p in r.curve])
        first = {}
        for tol in (0.02, 0.01):
            inside = np.flatnonzero(np.abs(gap) < tol)
            first[tol] = int(eps[inside[0]]) if inside.size else None
        after = np.abs(gap[eps >= first[0.01]]).max() if first[0.01] is not None else None
        rows.append(
            f"| {r.hparams['lr']:g} | {eps[-1]} | {first[0.02] if first[0.02] is not None else 'not reached'} | "
            f"{first[0.01] if first[0.01] is not None else 'not reached'} | "
            f"{'-' if after is None else f'{after:.4f}'} | {gap[len(gap) // 2 :].mean():+.4f} | {gap[-1]:+.4f} |"
        )
    return "\n".join(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.value_plot", description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="directory of gradient_mc / semi_gradient_td0 results")
    parser.add_argument("out", help="directory for the PNG files")
    args = parser.parse_args(argv)
    try:
        src, out = Path(args.results), Path(args.out)
        if not src.is_dir():
            raise BenchError(f"no results directory {src}")
        by_algo = _results(src)
        if not any(by_algo.values()):
            raise BenchError(f"no finished gradient_mc or semi_gradient_td0 results in {src}")
        out.mkdir(parents=True, exist_ok=True)
        written = [plot_algo(a, rs, out) for a, rs in by_algo.items() if rs]
        if (src / "plateau").is_dir():
            plateau = _results(src / "plateau")
            if any(plateau.values()):
                written.append(plot_plateau(plateau, out))
    except BenchError as exc:
        print(f"value_plot: error: {exc}", file=sys.stderr)
        return 2
    print(speed_table(by_algo))
    sweep = src / "td_step_size"
    if sweep.is_dir():
        runs = [r for r in load_dir(sweep) if r.algo == "semi_gradient_td0" and r.status == "ok"]
        runs += (
            [r for r in _results(src / "plateau")["semi_gradient_td0"] if r.seed == 0]
            if (src / "plateau").is_dir()
            else []
        )
        print("\n" + sweep_table(runs))
    print("\n" + "\n".join(f"wrote {p}" for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
