"""The regression gate: ``bench gate`` (alias: ``python -m bench.gate``).

Runs the quick suite of the committed baseline (results/baselines/quick-cpu: its manifest names
the algorithms, backends, seeds, threads and settings) into a temporary directory, then
compares it with the baseline through :mod:`bench.compare`. A cell flagged as a regression is
run once more and stays a regression only when the rerun is flagged too, so a passing burst of
load on a shared machine does not fail the build while a real slowdown, which repeats, does.
Exit status 1 on a regression, 2 on bad input, 0 otherwise.

``bench gate --make-baseline --repeats 3`` measures a new baseline (each cell run
``repeats`` times, so the comparison knows the run-to-run noise) and writes it, replacing the
old one only when every cell finished ok.

Load normalisation. The machine the gate runs on is shared: other jobs take a varying share of
the CPU, which moves raw samples/s by a factor of two or more between runs. So the gate runs
its cells with ``RunConfig(probe=True)`` through :mod:`bench.matrix`: each cell times a fixed
single-threaded CPU probe at every evaluation (outside the training clock) and divides each
timed round's speed by the mean of the two probes around it (:mod:`bench.probe`). A busy machine slows the probe and
the round alike; a slower train step slows only the round. ``bench compare`` judges speed on
these normalised rounds whenever both sides carry them (``throughput.normalized``); the raw
samples/s are kept and shown.

When this machine is not the baseline's (a different machine fingerprint), throughput is not
comparable: the gate says so and checks quality only.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import cli, compare as cmp_mod, history, registry, results as res, specs
from bench.compare import add_threshold_args, thresholds_from
from bench.config import RunConfig
from bench.errors import BenchError
from bench.history import record_session
from bench.matrix import run_one
from bench.paths import writable_dir
from bench.results import atomic_write

DEFAULT_BASELINE = Path(__file__).resolve().parent.parent / "results" / "baselines" / "quick-cpu"
MANIFEST = "manifest.json"
# What the default baseline covers: linear regression (full batch) and maximum-likelihood
# regression (mini-batches) on every backend, one seed, one framework thread, half the quick
# budget's epochs for linreg and 100 for mle_normal (Keras trains batch by batch: its quick
# budget takes minutes on a busy machine), and an evaluation (= one timed round) often enough
# to give the statistical test 25-40 rounds. Six cells: a few minutes on two cores.
DEFAULT_PLAN = {
    "algos": ["linreg", "mle_normal"],
    "backends": ["tf", "torch", "keras"],
    "device": "cpu",
    "budget": "quick",
    "seeds": [0],
    "threads": 1,
    "overrides": {"linreg": {"epochs": "2000", "eval_every": "50"}, "mle_normal": {"epochs": "100", "eval_every": "4"}},
    "timeout_s": 600,
}


def cells_of(plan: dict, algos=None, backends=None) -> list:
    algos = algos or plan["algos"]
    unknown = [a for a in algos if a not in plan["algos"]]
    if unknown:
        raise BenchError(
            f"algorithm(s) {', '.join(unknown)} not in the baseline; it covers: {', '.join(plan['algos'])}"
        )
    cells = []
    for algo in algos:
        specs.get(algo)
        for backend in backends or plan["backends"]:
            if not registry.has_impl(algo, backend):
                continue
            for seed in plan["seeds"]:
                cells.append(
                    RunConfig.create(
                        algo,
                        backend,
                        plan["device"],
                        seed,
                        plan["budget"],
                        dict(plan["overrides"].get(algo, {})),
                        threads=plan["threads"],
                        probe=True,
                    )
                )
    if not cells:
        raise BenchError("nothing to run for that selection")
    return cells


def run_cells(cells, out_dir: Path, timeout_s: float, label: str = "") -> list:
    t0 = time.perf_counter()
    done: list = []
    for cell in cells:
        result = run_one(cell, timeout_s)
        res.save(result, out_dir)
        done.append(result)
        tp = result.throughput
        print(
            f"  [{label}{len(done)}/{len(cells)}] {result.algo}/{result.backend}/{result.device}/seed{result.seed}: "
            f"{result.status}"
            + (f", {tp.median:.4g} {tp.unit}" if tp.median else "")
            + (f" ({result.error})" if result.error else ""),
            file=sys.stderr,
            flush=True,
        )
    print(f"  {len(done)} cells in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return done


def load_baseline(path: Path) -> tuple[dict, list]:
    manifest = path / MANIFEST
    if not manifest.exists():
        raise BenchError(f"no baseline at {path} (missing {MANIFEST}); make one with 'bench gate --make-baseline'")
    try:
        plan = json.loads(manifest.read_text())["plan"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BenchError(f"cannot read baseline manifest {manifest}: {exc}") from None
    results, _ = history.load_any(path / "runs")
    return plan, results


def gate(
    baseline: Path,
    algos=None,
    backends=None,
    out: Path | None = None,
    confirm: bool = True,
    thresholds=None,
    record: bool = False,
) -> int:
    plan, base = load_baseline(baseline)
    cells = cells_of(plan, algos, backends)
    keys = {(c.algo, c.backend) for c in cells}
    base = [r for r in base if (r.algo, r.backend) in keys]
    work = Path(out) if out else Path(tempfile.mkdtemp(prefix="bench-gate-"))
    print(
        f"gate: running {len(cells)} cells of the {plan['budget']} budget (threads={plan['threads']}) into {work}",
        file=sys.stderr,
    )
    current = run_cells(cells, work / "runs", plan.get("timeout_s", 600))
    th = thresholds or cmp_mod.Thresholds()
    names = (f"baseline {baseline}", f"current {work / 'runs'}")
    other_machine = None
    try:
        result = cmp_mod.compare(base, current, th, False, names)
    except BenchError as exc:
        if "different machines" not in str(exc):
            raise
        other_machine = str(exc)
        result = cmp_mod.compare(base, current, th, True, names)
    if other_machine:
        print(f"gate: {other_machine.split(';')[0]}: throughput is not compared, quality is", file=sys.stderr)
        for row in result.rows:
            row.tp_verdict = "other machine"
    flagged = result.regressions
    if flagged and confirm:
        again = [
            c for c in cells if any((c.algo, c.backend, c.device) == (r.algo, r.backend, r.device) for r in flagged)
        ]
        print(f"gate: {len(flagged)} cell(s) flagged; running them again to confirm", file=sys.stderr)
        rerun = run_cells(again, work / "confirm", plan.get("timeout_s", 600), "confirm ")
        second = cmp_mod.compare(base, rerun, th, True, names)
        confirmed = {(r.algo, r.backend, r.device) for r in second.regressions}
        for row in result.rows:
            if row.regression and (row.algo, row.backend, row.device) not in confirmed:
                row.notes.append(
                    f"flagged ({row.q_verdict}/{row.tp_verdict}, ratio {row.ratio}) but not confirmed "
                    f"by a rerun: counted as noise"
                )
                if row.tp_verdict == "SLOWER":
                    row.tp_verdict = "same (unconfirmed)"
                if row.q_verdict.startswith("WORSE"):
                    row.q_verdict = "same (unconfirmed)"
                if row.status == "failed":
                    row.status = "ok (unconfirmed failure)"
    cmp_mod.print_comparison(result)
    atomic_write(work / "comparison.json", json.dumps(result.to_dict(), indent=1, default=str))
    if record:
        print(f"gate: recorded as session {record_session(current, str(work / 'runs'))}", file=sys.stderr)
    n = len(result.regressions)
    print(f"gate: {'FAIL' if n else 'pass'}: {n} regression(s) against {baseline}; details in {work}/comparison.json")
    return 1 if n else 0


def make_baseline(baseline: Path, repeats: int, plan: dict | None = None) -> int:
    plan = dict(plan or DEFAULT_PLAN)
    cells = cells_of(plan)
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as tmp:
        runs = Path(tmp) / "runs"
        results = []
        for i in range(repeats):
            print(f"baseline: repeat {i + 1} of {repeats}", file=sys.stderr)
            results += run_cells(cells, runs, plan.get("timeout_s", 600), f"{i + 1}: ")
        bad = [r for r in results if r.status != "ok"]
        if bad:
            raise BenchError(
                f"{len(bad)} baseline cell(s) did not finish ok "
                f"({bad[0].algo}/{bad[0].backend}: {bad[0].error}); the old baseline is kept"
            )
        for r in results:  # the baseline stores measurements, not failure logs
            r.log = None
        new = Path(tmp) / "new"
        shutil.copytree(runs, new / "runs")
        card = results[0].card
        manifest = {
            "plan": plan,
            "repeats": repeats,
            "cells": len(cells),
            "results": len(results),
            "made_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "machine": card.machine.to_dict() if card.machine else None,
            "commit": card.commit,
        }
        (new / MANIFEST).write_text(json.dumps(manifest, indent=1, default=str))
        if baseline.exists():
            shutil.rmtree(baseline)
        baseline.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(new, baseline)
    for f in baseline.rglob("*.json"):
        f.chmod(0o644)
    print(f"baseline: {len(results)} results ({repeats} x {len(cells)} cells) written to {baseline}")
    return 0


def cmd_gate(args) -> int:
    split = lambda v: [x.strip() for raw in (v or []) for x in raw.split(",") if x.strip()] or None  # noqa: E731
    if args.make_baseline:
        if args.repeats < 1:
            raise BenchError("--repeats must be at least 1")
        return make_baseline(Path(args.baseline), args.repeats)
    if args.out is not None:  # checked before any cell runs
        writable_dir(args.out, "--out")
    return gate(
        Path(args.baseline),
        split(args.algo),
        split(args.backend),
        args.out,
        not args.no_confirm,
        thresholds_from(args),
        args.record,
    )


def register(sub) -> None:
    p = sub.add_parser(
        "gate",
        help="the CI regression gate: run the baseline's quick cells and compare",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument(
        "--baseline", default=str(DEFAULT_BASELINE), help="baseline directory (default results/baselines/quick-cpu)"
    )
    p.add_argument("--algo", action="append", help="only these algorithms of the baseline")
    p.add_argument("--backend", action="append", help="only these backends")
    p.add_argument("--out", default=None, help="keep this run's results here (default: a temporary directory)")
    p.add_argument("--no-confirm", action="store_true", help="do not rerun flagged cells")
    p.add_argument("--record", action="store_true", help="record this run in the history database")
    p.add_argument("--make-baseline", action="store_true", help="measure and write a new baseline")
    p.add_argument("--repeats", type=int, default=3, help="runs of each cell in a new baseline (default 3)")
    add_threshold_args(p)
    p.set_defaults(func=cmd_gate)


def main(argv=None) -> int:
    """``python -m bench.gate``: an alias of ``bench gate``."""
    return cli.main(argv, command="gate")


if __name__ == "__main__":
    sys.exit(main())
