"""The regression gate: ``bench gate`` (alias: ``bench gate``).

Runs the quick suite of the committed baseline (results/baselines/quick-cpu: its manifest names
the algorithms, backends, seeds, threads and settings) into a temporary directory, then
compares it with the baseline through :mod:`bench.reporting.compare`. A cell flagged as a regression is
run once more and stays a regression only when the rerun is flagged too, so a passing burst of
load on a shared machine does not fail the build while a real slowdown, which repeats, does.
Exit status 1 on a regression, 2 on bad input, 0 otherwise.

``bench gate --make-baseline --repeats 3`` measures a new baseline (each cell run
``repeats`` times, so the comparison knows the run-to-run noise) and writes it, replacing the
old one only when every cell finished ok.

Load normalisation. The machine the gate runs on is shared: other jobs take a varying share of
the CPU, which moves raw samples/s by a factor of two or more between runs. So the gate runs
its cells with ``RunConfig(probe=True)`` through :mod:`bench.execute.matrix`: each cell times a fixed
single-threaded CPU probe at every evaluation (outside the training clock) and divides each
timed round's speed by the mean of the two probes around it (:mod:`bench.core.probe`). A busy
machine slows the probe and the round alike; a slower train step slows only the round. ``bench compare`` judges speed on
these normalised rounds whenever both sides carry them (``throughput.normalized``); the raw
samples/s are kept and shown.

Speed is compared side by side, not against numbers from another day. The gate checks the
baseline's code out into a second working tree (``git worktree``, the same Python environment:
by default the commit before this one, ``--baseline-ref``) and runs the gate's cells from both
checkouts as ``bench speed`` workers (:mod:`bench.execute.side_by_side`), in interleaved rounds in a fresh order
every round. For each cell, the ratio current / baseline of the rounds' speeds gets a bootstrap
interval; the cell is SLOWER when that whole interval lies below ``1 - threshold``
(:data:`SPEED_THRESHOLD`). A burst of load slows both sides of a round alike, so the ratio holds
where raw samples/s would not. A SLOWER cell is measured again in a second session and stays
SLOWER only when that one is too (``--no-confirm``: not measured again), as a flagged quality
cell is run again: identical code was once flagged at 0.907 [0.855, 0.962] on this machine.
When the baseline's working tree cannot be made (no git, a shallow clone without that commit,
code older than side-by-side speed), the gate says so and
compares quality only. ``--inject-slowdown BACKEND=FRACTION`` slows the current side's train
step of one backend by that fraction (:mod:`bench.core.faults`): for testing the gate itself.
Recorded: 5 runs of identical code and 5 with a 10% slowdown injected (docs/speed.md).

The recorded baseline's throughput is still shown, and compared (as before) only when
``--speed recorded`` is given and this machine is the baseline's (the same fingerprint).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.core.errors import BenchError
from bench.execute import pipeline, side_by_side as speed
from bench.execute.local import LocalExecutor
from bench.reporting import compare as cmp_mod, history, speed_stats as speed_records
from bench.reporting.history import record_session
from bench.reporting.store import atomic_write

DEFAULT_BASELINE = Path(__file__).resolve().parents[2] / "results" / "baselines" / "quick-cpu"
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


SPEED_ROUNDS, SPEED_ROUND_S, SPEED_WARMUP_S = 30, 0.2, 1.0
# a cell is SLOWER when the whole interval of its current / baseline ratio lies below 1 - this
SPEED_THRESHOLD = 0.03
SPEED_CHOICES = ("interleaved", "recorded", "none")


class NoBaselineCode(BenchError):
    """The baseline's code cannot be checked out beside this one: the gate compares quality only."""


def git(*args, cwd=None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd or speed.ROOT, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NoBaselineCode(f"git could not run ({exc})") from None


def baseline_worktree(ref: str, where: Path) -> tuple[Path, str]:
    """``ref``'s code checked out at ``where`` (a detached git worktree). -> (path, commit)."""
    got = git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if got.returncode != 0:
        raise NoBaselineCode(
            f"no commit '{ref}' in {speed.ROOT} (a shallow clone, or not a git checkout; fetch more history "
            "or give --baseline-ref)"
        )
    commit = got.stdout.strip()
    made = git("worktree", "add", "--detach", str(where), commit)
    if made.returncode != 0:
        raise NoBaselineCode(f"git worktree add failed: {(made.stderr.strip().splitlines() or ['?'])[-1]}")
    if speed.worker_module(where) is None:
        remove_worktree(where)
        raise NoBaselineCode(f"the code at {ref} ({commit[:10]}) is older than side-by-side speed (bench speed)")
    return where, commit


def remove_worktree(where: Path) -> None:
    git("worktree", "remove", "--force", str(where))
    shutil.rmtree(where, ignore_errors=True)
    git("worktree", "prune")


def parse_injection(text: str | None) -> tuple[str, float] | None:
    if text is None:
        return None
    backend, _, frac = text.partition("=")
    try:
        value = float(frac)
    except ValueError:
        value = -1.0
    if not backend or not (0 < value < 10):
        raise BenchError(f"--inject-slowdown {text!r}: give BACKEND=FRACTION, e.g. torch=0.10")
    return backend.strip(), value


def speed_side_by_side(
    cells,
    ref: str,
    work: Path,
    inject: tuple[str, float] | None = None,
    rounds: int = SPEED_ROUNDS,
    round_s: float = SPEED_ROUND_S,
    threshold: float = SPEED_THRESHOLD,
) -> list[dict]:
    """Each cell's train step from the baseline's checkout and from this one, in interleaved
    rounds -> a row per cell: the ratio current / baseline with its interval, and the verdict."""
    where, commit = baseline_worktree(ref, work / "baseline-code")
    try:
        configs = []
        for cell in cells:
            fault = {}
            if inject and inject[0] == cell.backend:
                fault = {"BENCH_FAULT": f"slowdown:{cell.backend}={inject[1]}"}
            configs.append(speed.Config(f"{cell.label}@baseline", cell, env_name="baseline", root=where))
            configs.append(speed.Config(f"{cell.label}@current", cell, env_name="current", env=fault))
        (work / "speed-logs").mkdir(parents=True, exist_ok=True)
        print(
            f"gate: speed side by side: {len(cells)} cells, baseline code {ref} ({commit[:10]}) against this "
            f"checkout, {rounds} interleaved rounds",
            file=sys.stderr,
            flush=True,
        )
        record = speed.interleave(
            configs,
            rounds=rounds,
            round_s=round_s,
            warmup_s=SPEED_WARMUP_S,
            out=work / "speed.json",
            log_dir=work / "speed-logs",
            say=lambda text: print(f"  {text}", file=sys.stderr, flush=True),
            extra={"baseline_ref": ref, "baseline_commit": commit, "threshold": threshold, "injected": inject},
        )
    finally:
        remove_worktree(where)
    rows = []
    for cell in cells:
        r = speed_records.pair_ratio(record, f"{cell.label}@current", f"{cell.label}@baseline")
        if r["hi"] is None:
            verdict = "not measured"
        elif r["hi"] < 1.0 - threshold:
            verdict = "SLOWER"
        elif r["lo"] > 1.0 + threshold:
            verdict = "faster"
        else:
            verdict = "same"
        rows.append({"cell": f"{cell.algo}/{cell.name}", **r, "verdict": verdict})
    return rows


def confirm_speed(rows: list[dict], cells, ref: str, work: Path, inject, rounds: int) -> None:
    """A cell SLOWER side by side is measured again in a second session; it stays SLOWER only when
    the second is too, as a flagged quality or recorded-speed cell is run again: a burst of load on
    one side of a 3% threshold does not fail the build, a real slowdown, which repeats, does."""
    flagged = [c for c in cells if any(r["cell"] == f"{c.algo}/{c.name}" and r["verdict"] == "SLOWER" for r in rows)]
    if not flagged:
        return
    print(f"gate: {len(flagged)} cell(s) slower side by side; measuring them again to confirm", file=sys.stderr)
    (work / "confirm-speed").mkdir(parents=True, exist_ok=True)
    again = {r["cell"]: r for r in speed_side_by_side(flagged, ref, work / "confirm-speed", inject, rounds)}
    print_speed(list(again.values()), SPEED_THRESHOLD)
    for r in rows:
        if r["verdict"] == "SLOWER":
            second = again.get(r["cell"], {})
            r["rerun"] = {k: second.get(k) for k in ("median", "lo", "hi", "n", "verdict")}
            if second.get("verdict") != "SLOWER":
                r["verdict"] = "same (unconfirmed)"


def print_speed(rows: list[dict], threshold: float) -> None:
    print(f"\nspeed side by side (current / baseline, median of per-round ratios, 95% interval; SLOWER: the "
          f"interval below {1 - threshold:g}):")  # fmt: skip
    for r in rows:
        ci = "-" if r["lo"] is None else f"[{r['lo']:.3f}, {r['hi']:.3f}]"
        med = "-" if r["median"] is None else f"{r['median']:.3f}"
        print(f"  {r['cell']:<22} {med:>6} {ci:<17} {r['n']:>3} rounds  {r['verdict']}")


def measure(cells, out_dir: Path, timeout_s: float, label: str = "") -> list:
    """The gate's cells through the one pipeline (:func:`bench.execute.pipeline.run_cells`), one
    at a time on this machine, a line for each as it ends. -> their results."""
    t0 = time.perf_counter()

    def line(result, done, total):
        tp = result.throughput
        print(
            f"  [{label}{done}/{total}] {result.algo}/{result.backend}/{result.device}/seed{result.seed}: "
            f"{result.status}"
            + (f", {tp.median:.4g} {tp.unit}" if tp.median else "")
            + (f" ({result.error})" if result.error else ""),
            file=sys.stderr,
            flush=True,
        )

    say = lambda text: print(f"gate: {text}", file=sys.stderr, flush=True)  # noqa: E731
    out_dir.mkdir(parents=True, exist_ok=True)
    got = pipeline.run_cells(
        cells, out_dir, LocalExecutor(1), timeout_s=timeout_s, say=say, progress=False, on_each=line
    )
    if got.failure is not None:
        raise got.failure
    print(f"  {len(got.final)} cells in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return got.final


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
    plan: dict,
    base: list,
    cells: list,
    out: Path | None = None,
    confirm: bool = True,
    thresholds=None,
    record: bool = False,
    speed_by: str = "interleaved",
    baseline_ref: str = "HEAD~1",
    inject: tuple[str, float] | None = None,
    speed_rounds: int = SPEED_ROUNDS,
) -> int:
    keys = {(c.algo, c.backend) for c in cells}
    base = [r for r in base if (r.algo, r.backend) in keys]
    work = Path(out) if out else Path(tempfile.mkdtemp(prefix="bench-gate-"))
    print(
        f"gate: running {len(cells)} cells of the {plan['budget']} budget (threads={plan['threads']}) into {work}",
        file=sys.stderr,
    )
    current = measure(cells, work / "runs", plan.get("timeout_s", 600))
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
    if other_machine and speed_by == "recorded":
        print(f"gate: {other_machine.split(';')[0]}: throughput is not compared, quality is", file=sys.stderr)
        for row in result.rows:
            row.tp_verdict = "other machine"
    if speed_by != "recorded":  # speed is judged side by side below (or not at all), not against another day
        for row in result.rows:
            row.tp_verdict = "side by side" if speed_by == "interleaved" else "not compared"
    flagged = result.regressions
    if flagged and confirm:
        again = [
            c for c in cells if any((c.algo, c.backend, c.device) == (r.algo, r.backend, r.device) for r in flagged)
        ]
        print(f"gate: {len(flagged)} cell(s) flagged; running them again to confirm", file=sys.stderr)
        rerun = measure(again, work / "confirm", plan.get("timeout_s", 600), "confirm ")
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
    speed_rows, speed_note = [], None
    if speed_by == "interleaved":
        t0 = time.perf_counter()
        try:
            speed_rows = speed_side_by_side(cells, baseline_ref, work, inject, speed_rounds)
            print_speed(speed_rows, SPEED_THRESHOLD)
            if confirm:
                confirm_speed(speed_rows, cells, baseline_ref, work, inject, speed_rounds)
            print(f"gate: side-by-side speed took {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        except NoBaselineCode as exc:
            speed_note = f"speed not compared: {exc}; quality only"
            print(f"gate: {speed_note}", file=sys.stderr)
    out = {**result.to_dict(), "speed_side_by_side": speed_rows, "speed_note": speed_note}
    atomic_write(work / "comparison.json", json.dumps(out, indent=1, default=str))
    if record:
        print(f"gate: recorded as session {record_session(current, str(work / 'runs'))}", file=sys.stderr)
    slower = [r["cell"] for r in speed_rows if r["verdict"] == "SLOWER"]
    n = len(result.regressions) + len(slower)
    what = f" (slower side by side: {', '.join(slower)})" if slower else ""
    print(
        f"gate: {'FAIL' if n else 'pass'}: {n} regression(s) against {baseline}{what}; details in "
        f"{work}/comparison.json"
    )
    return 1 if n else 0


def make_baseline(baseline: Path, repeats: int, plan: dict, cells: list) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as tmp:
        runs = Path(tmp) / "runs"
        results = []
        for i in range(repeats):
            print(f"baseline: repeat {i + 1} of {repeats}", file=sys.stderr)
            results += measure(cells, runs, plan.get("timeout_s", 600), f"{i + 1}: ")
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
