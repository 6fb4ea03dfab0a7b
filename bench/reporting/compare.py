"""Baseline vs current, noise-aware: ``bench compare BASELINE CURRENT``.

BASELINE and CURRENT each name a set of Results: a result JSON file, a directory of them, a
pytest-benchmark JSON file, or, from the history database, a session, a run id (or a unique
prefix of one), a git commit (prefix) or ``latest``.

Cells are matched on (algorithm, backend, device, budget, source). For each matched cell:

* **Throughput** is a regression only when all of these hold (on load-normalised rounds when
  both sides carry them: samples/s of each round divided by the speed of a fixed CPU probe
  timed next to it, see :mod:`bench.cli.gate`; ``--raw-speed`` compares raw samples/s instead):
  the current median is below the baseline median by more than the relative threshold
  (``--threshold``, default 10 %) *and* by more than the baseline's own run-to-run noise (the
  relative spread of the per-run medians, when the baseline holds several runs of the cell);
  *and* a one-sided Mann-Whitney U test on the per-round samples/s of the two sides gives
  p < ``--alpha`` (default 0.01). The 95 % bootstrap interval of the ratio of medians is shown
  (both from ``scipy.stats``).
* **Quality** (the spec's metric) is a regression when the current median over seeds is worse
  than the baseline median by more than the largest of: the baseline's seed-to-seed range,
  the spec's tolerance for that metric, and ``--quality-rel`` (default 5 %) of the baseline
  value. A cell that reached its target in the baseline and no longer does is a regression too.
* A cell that finished ``ok`` in the baseline and not in the current run is a regression.

Runs from different machines (different machine fingerprints) are refused unless ``--force``:
their speeds are not comparable. Exit status 1 on any regression, 2 on bad input, else 0.
"""

from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from bench import specs
from bench.core import modes
from bench.core.errors import BenchError
from bench.core.stats import finite
from bench.reporting import history
from bench.reporting.history import source_of
from bench.reporting.schema import Result

EXIT_REGRESSION = 1


@dataclass
class Thresholds:
    rel: float = 0.10  # relative throughput drop that may count as a regression
    alpha: float = 0.01  # one-sided Mann-Whitney U significance level
    quality_rel: float = 0.05  # relative quality tolerance (the floor under the seed spread)
    bootstrap: int = 2000
    normalized: bool = True  # judge speed on CPU-probe-normalised rounds when both sides have them
    judge_busy: bool = False  # judge speed measured while other processes kept the machine busy
    judge_packed: bool = False  # judge speed of cells that shared their node (quality-only runs)


@dataclass
class Row:
    algo: str
    backend: str
    device: str
    budget: str
    source: str
    status: str = "ok"  # ok | missing | new | failed
    metric: str | None = None
    q_base: float | None = None
    q_cur: float | None = None
    q_tol: float | None = None
    q_verdict: str = "-"
    unit: str | None = None
    tp_base: float | None = None
    tp_cur: float | None = None
    ratio: float | None = None
    ratio_ci: tuple | None = None
    p_value: float | None = None
    tp_threshold: float | None = None
    n_base: int = 0
    n_cur: int = 0
    tp_verdict: str = "-"
    normalized: bool = False  # speed judged on rounds divided by a CPU probe (bench.cli.gate)
    notes: list = field(default_factory=list)

    @property
    def regression(self) -> bool:
        return self.status == "failed" or self.q_verdict.startswith("WORSE") or self.tp_verdict == "SLOWER"


@dataclass
class Comparison:
    rows: list
    baseline: str
    current: str
    thresholds: Thresholds
    forced: bool = False

    @property
    def regressions(self) -> list:
        return [r for r in self.rows if r.regression]

    def to_dict(self) -> dict:
        return {
            "baseline": self.baseline,
            "current": self.current,
            "thresholds": asdict(self.thresholds),
            "forced": self.forced,
            "regressions": len(self.regressions),
            "rows": [dict(asdict(r), regression=r.regression) for r in self.rows],
        }

    def table(self):
        import pandas as pd

        def f(v, fmt="{:.4g}"):
            return "" if v is None or (isinstance(v, float) and not math.isfinite(v)) else fmt.format(v)

        out = []
        for r in self.rows:
            out.append(
                {
                    "algo": r.algo,
                    "backend": r.backend,
                    "device": r.device,
                    "budget": r.budget + ("" if r.source == "bench-run" else f" ({r.source})"),
                    "metric": r.metric or "",
                    "base": f(r.q_base),
                    "current": f(r.q_cur),
                    "tol": f(r.q_tol),
                    "quality": r.q_verdict,
                    "speed base": f(r.tp_base),
                    "speed now": f(r.tp_cur),
                    "ratio": f(r.ratio, "{:.3f}"),
                    "95% CI": f"{r.ratio_ci[0]:.2f}-{r.ratio_ci[1]:.2f}" if r.ratio_ci else "",
                    "p": f(r.p_value, "{:.2g}"),
                    "rounds": f"{r.n_base}/{r.n_cur}",
                    "speed": r.tp_verdict,
                    "status": r.status,
                }
            )
        return pd.DataFrame(out)


# loading ----------------------------------------------------------------------------------------
def resolve(selector: str, db: str | None = None) -> tuple[list[Result], str]:
    """A selector -> (results, description). Files and directories first, then the history."""
    path = Path(selector)
    if path.exists():
        results, _ = history.load_any(path)
        return results, str(path)
    if "/" in selector or selector.endswith(".json"):  # written as a path: a missing file, not a selector
        raise BenchError(f"no such file or directory: {selector}")
    dbp = history.db_path(db)
    if not dbp.exists():
        raise BenchError(
            f"'{selector}' is neither a file nor a directory, and there is no history "
            f"database at {dbp} to look it up in"
        )
    with history.History(dbp, create=False) as h:
        return h.select(selector)


def _key(r: Result) -> tuple:
    """What a result is compared as: a backend in another mode or precision than its default is
    its own row (``torch[compile/bf16]``), never pooled with the default's."""
    backend = r.backend
    if modes.known(backend):
        mode, precision = modes.of_record(backend, r.hparams, r.card.facts.get("run_config"))
        if (mode, precision) != (modes.default(backend), "fp32"):
            backend = f"{backend}[{mode}/{precision}]"
    return (r.algo, backend, r.device, r.budget, source_of(r))


def _fingerprints(results) -> dict:
    """{machine fingerprint: its description} of the results that name their machine."""
    return {
        r.card.machine.fingerprint: r.card.machine.describe()
        for r in results
        if r.card.machine is not None and r.card.machine.fingerprint
    }


def _spec(algo):
    try:
        return specs.get(algo)
    except Exception:
        return None


# statistics -------------------------------------------------------------------------------------
def normalised(results) -> bool:
    """True when every result carries load-normalised rounds (see bench.cli.gate: CPU probe)."""
    return bool(results) and all(r.throughput.normalized for r in results)


def _rounds(results, norm: bool = False) -> np.ndarray:
    """Every timed round's speed (load-normalised with ``norm``) of all ``results``."""
    return np.asarray(
        [v for r in results for v in (r.throughput.normalized_rounds() if norm else r.throughput.rounds())], dtype=float
    )


def bootstrap_ratio_ci(base: np.ndarray, cur: np.ndarray, n: int = 2000, seed: int = 0) -> tuple:
    """95 % percentile-bootstrap interval of median(cur) / median(base), each side resampled on
    its own (``scipy.stats.bootstrap``)."""
    from scipy.stats import bootstrap

    def ratio(b, c, axis=-1):
        return np.median(c, axis=axis) / np.median(b, axis=axis)

    ci = bootstrap(
        (base, cur),
        ratio,
        n_resamples=n,
        paired=False,
        vectorized=True,
        method="percentile",
        confidence_level=0.95,
        rng=np.random.default_rng(seed),
    ).confidence_interval
    return float(ci.low), float(ci.high)


def run_noise(results, norm: bool = False) -> float:
    """Relative run-to-run spread of the per-run median throughputs (0 with one run)."""
    meds = finite([float(np.median(_rounds([r], norm))) if _rounds([r], norm).size else None for r in results])
    if meds.size < 2:
        return 0.0
    return float(1.0 - meds.min() / np.median(meds))


def machine_busy(result) -> bool:
    """True when the result's card says other processes kept the machine busy (bench.core.machine_load)."""
    return bool(result.card.load and result.card.load.get("busy"))


def compare_throughput(row: Row, base: list, cur: list, th: Thresholds) -> None:
    from scipy.stats import mannwhitneyu

    norm = th.normalized and normalised(base) and normalised(cur)
    b, c = _rounds(base, norm), _rounds(cur, norm)
    row.unit = (cur[0].throughput.unit if cur else None) or "samples/s"
    row.n_base, row.n_cur = int(b.size), int(c.size)
    if b.size == 0 or c.size == 0:
        row.tp_verdict = "n/a"
        return
    busy = [r for r in cur if machine_busy(r)]
    if busy and not th.judge_busy:
        row.tp_verdict = "busy machine"
        row.notes.append(
            f"{len(busy)} of {len(cur)} current run(s) measured while other processes kept "
            f">= {busy[0].card.load['busy_threshold_cores']} core(s) busy: speed not judged"
        )
        return
    packed = [r for r in base + cur if r.card.shared]
    if packed and not th.judge_packed:
        row.tp_verdict = "packed"
        row.notes.append(
            f"{len(packed)} run(s) shared their node with other cells (a quality-only run): speed not judged "
            "(--packed-speed judges it)"
        )
        return
    raw_b, raw_c = _rounds(base), _rounds(cur)
    row.tp_base, row.tp_cur = float(np.median(raw_b)), float(np.median(raw_c))
    if norm:  # the verdict uses rounds divided by the CPU probe measured next to them
        row.normalized = True
        row.ratio = float(np.median(c) / np.median(b)) if np.median(b) > 0 else None
    else:
        row.ratio = row.tp_cur / row.tp_base if row.tp_base > 0 else None
    row.tp_threshold = max(th.rel, run_noise(base, norm))
    if b.size >= 3 and c.size >= 3:
        row.p_value = float(mannwhitneyu(c, b, alternative="less").pvalue)
        p_faster = float(mannwhitneyu(c, b, alternative="greater").pvalue)
        row.ratio_ci = bootstrap_ratio_ci(b, c, th.bootstrap)
    else:
        p_faster = None
        row.notes.append("fewer than 3 rounds on a side: no statistical test, threshold only")
    if row.ratio is None:
        row.tp_verdict = "n/a"
    elif row.ratio < 1 - row.tp_threshold and (row.p_value is None or row.p_value < th.alpha):
        row.tp_verdict = "SLOWER"
    elif row.ratio > 1 + row.tp_threshold and (p_faster is None or p_faster < th.alpha):
        row.tp_verdict = "faster"
    else:
        row.tp_verdict = "same"


def compare_quality(row: Row, base: list, cur: list, th: Thresholds) -> None:
    spec = _spec(row.algo)
    metric = (cur or base)[0].metric
    row.metric = metric
    qb = finite([r.metrics.get(metric) for r in base if metric])
    qc = finite([r.metrics.get(metric) for r in cur if metric])
    if qb.size == 0 or qc.size == 0:
        row.q_verdict = "n/a"
        return
    higher = spec.higher_is_better if spec is not None else False
    if spec is None:
        row.notes.append(f"unknown algorithm {row.algo}: assumed lower {metric} is better")
    row.q_base, row.q_cur = float(np.median(qb)), float(np.median(qc))
    seed_range = float(qb.max() - qb.min()) if qb.size > 1 else 0.0
    spec_tol = float(spec.tolerances.get(metric, 0.0)) if spec is not None else 0.0
    row.q_tol = max(seed_range, spec_tol, th.quality_rel * abs(row.q_base), 1e-12)
    worse_by = (row.q_base - row.q_cur) if higher else (row.q_cur - row.q_base)
    lost_target = (
        all(r.target_reached for r in base) and not any(r.target_reached for r in cur) and base[0].target is not None
    )
    if worse_by > row.q_tol:
        row.q_verdict = "WORSE"
    elif lost_target:
        row.q_verdict = "WORSE (target lost)"
    elif worse_by < -row.q_tol:
        row.q_verdict = "better"
    else:
        row.q_verdict = "same"


def compare(
    baseline: list,
    current: list,
    th: Thresholds | None = None,
    force: bool = False,
    names: tuple = ("baseline", "current"),
) -> Comparison:
    th = th or Thresholds()
    if not baseline:
        raise BenchError(f"{names[0]} holds no results")
    if not current:
        raise BenchError(f"{names[1]} holds no results")
    algos_b, algos_c = {r.algo for r in baseline}, {r.algo for r in current}
    if not algos_b & algos_c:
        raise BenchError(
            f"cannot compare runs of different algorithms: {names[0]} has {', '.join(sorted(algos_b))}, "
            f"{names[1]} has {', '.join(sorted(algos_c))}"
        )
    fb, fc = _fingerprints(baseline), _fingerprints(current)
    if fb and fc and set(fb) != set(fc) and not force:
        raise BenchError(
            f"{names[0]} and {names[1]} come from different machines "
            f"({'; '.join(f'{k}: {v}' for k, v in fb.items())} vs {'; '.join(f'{k}: {v}' for k, v in fc.items())}); "
            f"their speeds are not comparable. Pass --force to compare anyway"
        )
    groups: dict = {}
    for side, results in ((0, baseline), (1, current)):
        for r in results:
            groups.setdefault(_key(r), ([], []))[side].append(r)
    rows = []
    for key in sorted(groups):
        base_all, cur_all = groups[key]
        row = Row(*key)
        base = [r for r in base_all if r.status == "ok"]
        cur = [r for r in cur_all if r.status == "ok"]
        if not base_all:
            row.status = "new"
        elif not cur_all:
            row.status = "missing"
        elif base and not cur:
            row.status = "failed"
            row.notes.append("; ".join(sorted({f"{r.status}: {r.error}" for r in cur_all})))
        elif not base:
            row.status = "baseline not ok"
        if base and cur:
            compare_quality(row, base, cur, th)
            compare_throughput(row, base, cur, th)
        rows.append(row)
    if not any(r.status == "ok" for r in rows):
        raise BenchError(
            f"no cell is present and ok on both sides ({names[0]}: {len(baseline)} results, "
            f"{names[1]}: {len(current)}); check algorithms, budgets and devices"
        )
    return Comparison(rows, names[0], names[1], th, forced=bool(force and fb and fc and set(fb) != set(fc)))


def print_comparison(cmp: Comparison, file=None) -> None:
    import pandas as pd

    file = file or sys.stdout
    print(f"baseline: {cmp.baseline}\ncurrent:  {cmp.current}", file=file)
    th = cmp.thresholds
    print(
        f"throughput: SLOWER when the median drops by more than max({th.rel:.0%}, baseline run-to-run noise) "
        f"and one-sided Mann-Whitney U p < {th.alpha:g}; quality: WORSE beyond max(seed range, spec "
        f"tolerance, {th.quality_rel:.0%})" + ("; machines differ (forced)" if cmp.forced else ""),
        file=file,
    )
    if any(r.normalized for r in cmp.rows):
        print(
            "speed verdicts (ratio, CI, p) on load-normalised rounds: each round's speed divided by a CPU "
            "probe timed next to it; 'speed base/now' are the raw medians",
            file=file,
        )
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        print(cmp.table().to_string(index=False), file=file)
    for r in cmp.rows:
        for note in r.notes:
            print(f"  {r.algo}/{r.backend}/{r.device}: {note}", file=file)
    reg = cmp.regressions
    compared = sum(1 for r in cmp.rows if r.status == "ok")
    print(
        f"\n{compared} cells compared, {len(reg)} regression(s)"
        + (": " + ", ".join(f"{r.algo}/{r.backend}/{r.device}" for r in reg) if reg else ""),
        file=file,
    )
