"""The report's plots (matplotlib, Agg): the learning curves of the backends overlaid, drawn
against each kind of spec's declared x-axis (``bench.reporting.schema.X_AXES``: epochs,
environment steps), and the throughput bars with error bars beside the speedups; as PNG bytes."""

from __future__ import annotations

import io

import numpy as np

from bench.core.stats import finite
from bench.reporting.schema import x_axis

COLORS = {
    "tf": "#ff8f00",
    "torch": "#ee4c2c",
    "keras": "#4a6fd1",
    "keras[jax]": "#2a9d8f",
    "keras[torch]": "#9b5de5",
    "numpy": "#555555",
}


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


def coincide(lines, rtol: float = 1e-3) -> bool:
    """Whether two or more drawn lines lie on top of each other (the same x and, within ``rtol``
    of the plot's range, the same y): the backends computed the same thing."""
    if len(lines) < 2:
        return False
    xs, ys = [np.asarray(ln.get_xdata(), float) for ln in lines], [np.asarray(ln.get_ydata(), float) for ln in lines]
    if any(x.shape != xs[0].shape or not np.array_equal(x, xs[0]) for x in xs):
        return False
    stack = np.vstack(ys)
    scale = np.nanmax(stack) - np.nanmin(stack)
    return bool(np.nanmax(np.abs(stack - stack[0])) <= rtol * (scale if scale > 0 else 1.0))


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
        lines = ax.get_lines()
        same = " (the backends' curves coincide: one line shows them all)" if coincide(lines) else ""
        ax.set_title(f"{algo}: {key}{same}", fontsize=10 if same else None)
        ax.grid(alpha=0.3)
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
    axes[1].set_title(f"{algo}: speedup relative to {reference}\n(cells run one after another: no interval)")
    axes[1].set_ylabel(f"× {reference}")
    axes[1].grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_ratios(record: dict):
    """A ``bench speed`` record's ratios, each configuration's speed against its reference's in
    the same rounds, with their 95% intervals (None: fewer than two configurations measured)."""
    from bench.reporting.speed_stats import summarise

    summary = summarise(record, record.get("reference"), record.get("seed", 0))
    short = {c["label"]: f"{c.get('algo') or ''}: {c.get('backend') or c['label']}" for c in record["configs"]}
    if len(set(short.values())) < len(short):  # environments, copies, modes: the whole labels
        short = {c["label"]: c["label"] for c in record["configs"]}
    rows = []
    for c in record["configs"]:
        s = summary["configs"].get(c["label"], {})
        r = s.get("ratio")
        if r is None and s.get("samples_per_s", {}).get("median"):
            rows.append((short[c["label"]], c.get("backend"), 1.0, 1.0, 1.0, True))
        elif r is not None and r.get("median") is not None:
            lo, hi = r.get("lo") or r["median"], r.get("hi") or r["median"]
            name = f"{short[c['label']]} / {short[s['reference']].split(': ')[-1]}"
            rows.append((name, c.get("backend"), r["median"], lo, hi, False))
    if len(rows) < 2:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 0.38 * len(rows) + 1.3))
    ys = list(range(len(rows)))
    med = [r[2] for r in rows]
    err = [[r[2] - r[3] for r in rows], [r[4] - r[2] for r in rows]]
    colors = [COLORS.get(r[1], "#888") if not r[5] else "#ccc" for r in rows]
    ax.barh(ys, med, xerr=err, capsize=4, color=colors)
    ax.axvline(1.0, color="k", lw=1)
    ax.set_yticks(ys, [r[0] + (" (reference)" if r[5] else "") for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("train-step speed against the reference in the same rounds (×), 95% interval")
    ax.set_title("side by side: interleaved rounds")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def png_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    _plt().close(fig)
    return buf.getvalue()
