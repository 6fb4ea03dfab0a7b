"""``bench run``: the quick tour (no selection), a selection (``--algo``) or the whole matrix
(``--all``), then the summary table and, for the tour, the report. The cells come from the planner
(:mod:`bench.plan.planner`) and run through the one pipeline (:mod:`bench.execute.pipeline`):
everything is checked before the first cell starts (the selection and settings, the timeout,
every output path, every cell's dataset: a cell whose dataset is absent and cannot be downloaded
is ``skipped``, with the command that fixes it). Results are saved, and recorded in the history,
as each cell ends; Ctrl-C and SIGTERM stop the run with what finished kept, and ``--resume`` runs
only the cells that have no result yet."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from bench.cli import selection
from bench.cli.common import EXIT_FAILED_CELLS, EXIT_INTERRUPTED, EXIT_TERMINATED, RunFailed, command, say
from bench.core import modes
from bench.core.errors import BenchError
from bench.execute import executors, matrix, pipeline, tour as execute_tour
from bench.plan import planner, tour
from bench.reporting import report, report_verdict
from bench.reporting.schema import Result
from bench.reporting.store import results_dir

SELECTION = ("--algo", "--all", "--backend", "--engine", "--device", "--seeds", "--seed", "--budget", "--mode")
SELECTION += ("--precision", "--set", "--timeout", "--threads", "--results-dir", "--db")


DESCRIPTION = (
    "With no --algo and no --all: the quick tour (linreg, mle_normal, lenet5 on the digits, dqn, "
    "reinforce on tf, torch and keras; a few minutes, offline), then its report. Results go to "
    "--results-dir and its history.sqlite as each cell ends."
)


def register(sub) -> None:
    run = command(
        sub,
        "run",
        cmd_run,
        "run the quick tour, a selection (--algo) or the whole matrix (--all), then summarise",
        DESCRIPTION,
    )
    selection.add(run, *SELECTION, notes={"--algo": "none and no --all: the quick tour"})
    run.add_argument(
        "--resume",
        action="store_true",
        help="skip the cells that already have an ok or diverged result in the results directory for "
        "the same configuration",
    )
    run.add_argument(
        "--report",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write the report of the run's results into the results directory (default: for the tour)",
    )
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument(
        "--tensorboard",
        default=None,
        metavar="DIR",
        help="write each cell's curves as TensorBoard events under DIR (relative to the working directory)",
    )
    selection.add(run, "--no-history")
    run.add_argument(
        "--executor",
        default="local",
        help="local (this machine, each cell in its own process; default) or ray (a Ray cluster, each cell one "
        "task: --ray-address or RAY_ADDRESS joins one, neither starts one here; docs/cluster.md)",
    )
    run.add_argument(
        "--ray-address",
        default=None,
        metavar="HOST:PORT",
        help="the head node of the Ray cluster to join (default $RAY_ADDRESS; neither: a local cluster)",
    )
    run.add_argument(
        "--quality-only",
        action="store_true",
        help="the run measures quality only: cells may share a machine or node (they pack), and their speed is "
        "recorded as shared and not compared by the report",
    )
    run.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="with --executor local and --quality-only: N cells at a time (default 1)",
    )


def cmd_run(args) -> int:
    jobs, quality_only = args.jobs, args.quality_only
    if not args.all and args.algo is None and args.executor == "local" and jobs is None and not quality_only:
        jobs, quality_only = tour.JOBS, True  # the tour's speed is measured side by side, after its cells
    executor = executors.create(args.executor, jobs, args.ray_address, quality_only)
    try:
        return _run(args, executor, quality_only)
    finally:
        executor.close()  # a local Ray cluster started for the run stops here


def check_timeout(timeout: float) -> None:
    if not (math.isfinite(timeout) and timeout > 0):
        raise BenchError(f"--timeout must be a positive number of seconds, got {timeout:g}")


def _run(args, executor, quality_only: bool) -> int:
    notes: list[str] = []
    sel = selection.selection_of(args, quality_only=quality_only)
    cells = planner.cells(sel, notes, place=executor)
    check_timeout(args.timeout)
    if args.results_dir is not None and not args.results_dir.strip():
        raise BenchError("--results-dir is empty: give a path")
    out_dir = Path(args.results_dir).expanduser() if args.results_dir is not None else results_dir()
    db = pipeline.check_outputs(out_dir, args.db, args.results_dir, args.no_history)
    want_report = args.report if args.report is not None else sel.tour
    for note in notes:
        say(f"note: {note}")
    if sel.tour:
        algos = list(dict.fromkeys(c.algo for c in cells))
        bks = list(dict.fromkeys(c.backend for c in cells))
        say(
            f"the quick tour: {len(cells)} cells, {', '.join(algos)} on {', '.join(bks)} ({args.budget} budget; "
            f"tour settings: {tour.describe(args.budget)}); 'bench run --all' runs the whole matrix"
        )
        at_once = f", {executor.jobs} at a time" if executor.name == "local" else ""
        say(
            f"the cells measure quality{at_once}; the backends' parity (first steps) is checked beside them, "
            "and their speed side by side after them"
        )
    showcase = execute_tour.Showcase(cells, out_dir, tour.targets(), tour.SPEED) if sel.tour else None
    got = pipeline.run_cells(
        cells,
        out_dir,
        executor,
        timeout_s=args.timeout,
        say=say,
        history=db,
        resume=args.resume,
        progress=not args.no_progress,
        on_checked=(lambda: say(_cluster_line(executor))) if executor.name == "ray" else None,
    )
    print_summary(got.kept + got.done)  # the skipped cells were listed once, above
    written, recorder, done, runnable = got.written, got.history, got.done, got.runnable
    where = f"{len(written)} results written to {out_dir}/" if written else f"no new results in {out_dir}/"
    if recorder is not None:
        if recorder.problem:
            say(
                f"warning: the history database {recorder.path} stopped taking results ({recorder.problem}); "
                f"'bench history import {out_dir}' adds them later"
            )
        elif done:
            where += f"; recorded in {recorder.path} as session {recorder.session}"
    print(f"\n{where}", flush=True)
    final, failure = got.final, got.failure  # a lost cell that ran again counts once, by its last attempt
    tour_record, speed = None, None
    if showcase is not None:
        if failure is None:
            record = showcase.finish(say)
            tour_record = json.loads(record.read_text())
            speed = report.speed_records_in(out_dir)  # read once: the verdict's and the report's
            print_verdict(got.kept + done, tour_record, speed)
            say(f"the tour's parity and side-by-side speed: {record}")
        else:
            showcase.stop()
    if isinstance(failure, KeyboardInterrupt):
        left = len(runnable) - len(final)
        kept_words = f"the {len(final)} that finished are kept" if final else "none had finished"
        terminated = isinstance(failure, pipeline.Terminated)
        say(
            f"{'terminated' if terminated else 'interrupted'} with {left} of {len(runnable)} "
            f"cells not run; {kept_words}. 'bench run ... --resume' with the same options runs the rest"
        )
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    if isinstance(failure, matrix.ResultsNotSaved):
        recorded = recorder is not None and not recorder.problem  # then the history has it already
        hint = (
            f"; 'bench history import {failure.fallback}' adds it to a history later"
            if failure.fallback and not recorded
            else ""
        )
        raise matrix.ResultsNotSaved(
            f"{failure}{hint}; stopped after {len(final)} of {len(runnable)} cells", failure.result, failure.fallback
        )
    report_failed = None
    if want_report:
        report_failed = _write_report(got.kept + done, out_dir, tour_record, speed)
    bad = [r for r in final if r.status != "ok"]
    if bad:
        say(f"{len(bad)} of {len(final)} cells did not finish ok")
        return EXIT_FAILED_CELLS
    if got.skipped and not final:  # nothing was measured: a script must not read this as a pass
        say(f"no cell ran: all {len(got.skipped)} were skipped for want of their data (see the fix above)")
        return EXIT_FAILED_CELLS
    if got.skipped:
        say(f"{len(got.skipped)} cell(s) skipped for want of their data (see the fix above); the others finished ok")
    if report_failed:
        raise report_failed
    return 0


def summary_table(results: list[Result]):
    import pandas as pd

    rows = []
    for r in results:
        tp = r.throughput
        mode, precision = modes.of_record(r.backend, r.hparams, r.card.facts.get("run_config"))
        timed = (r.card.facts.get("compiles") or {}).get("in_timed_rounds")
        rows.append(
            {
                "algo": r.algo,
                "backend": r.backend,
                "device": r.device,
                "mode": mode,
                "precision": precision,
                "seed": r.seed,
                "status": r.status,
                "metric": r.metric or "",
                "value": r.value,
                "target": "yes" if r.target_reached else ("no" if r.target is not None else "-"),
                "to_target_s": r.time_to_target_s,
                f"{tp.unit or 'samples/s'} (median)": tp.median,
                "IQR": (tp.p75 - tp.p25) if tp.median is not None else None,
                "compile_s": r.compile_s,
                "recompiles_timed": timed,
                "wall_s": r.wall_s,
            }
        )
    return pd.DataFrame(rows)


def print_summary(results: list[Result]) -> None:
    import pandas as pd

    if not results:
        return
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format", "{:.4g}".format):
        print(summary_table(results).to_string(index=False), flush=True)


def print_verdict(results, tour_record: dict, speed_records: list) -> None:
    """The tour's verdict (bench.reporting.report_verdict): quality against the tour's targets,
    parity and the side-by-side speed, per algorithm."""
    rows = report_verdict.verdict(results, tour_record, speed_records)
    if rows:
        print("\nthe tour's verdict:\n" + "\n".join(report_verdict.lines(rows)), flush=True)


def _cluster_line(executor) -> str:
    nodes, totals = executor.nodes(), executor.totals()
    started = f", started in {executor.startup_s:.1f} s" if executor.embedded and executor.startup_s else ""
    gpus = f", {totals.get('GPU', 0):g} GPUs" if totals.get("GPU") else ""
    return f"Ray: {executor.where}{started}: {len(nodes)} node(s), {totals.get('CPU', 0):g} CPUs{gpus}"


def _write_report(results: list[Result], out_dir: Path, tour=None, speed=None) -> BenchError | None:
    """The report of this run's results next to them; its path last on the console. A report that
    cannot be written is an error, after the results are safe."""
    ok = [r for r in results if r.status == "ok"]
    if not ok:
        say("no report: no cell finished ok")
        return None
    present = [b for b in report.BACKEND_ORDER if any(r.backend == b for r in ok)] or sorted({r.backend for r in ok})
    try:
        speed = report.speed_records_in(out_dir) if speed is None else speed
        html, md = report.write(results, out_dir, reference=present[0], speed_records=speed, tour=tour)
    except (OSError, BenchError) as exc:
        return RunFailed(
            f"the results are in {out_dir}, but the report could not be written there ({exc}); "
            f"'bench report {out_dir} --out DIR' writes it elsewhere"
        )
    print(f"report: {html} (and {md})", flush=True)
    return None
