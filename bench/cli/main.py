"""The ``bench`` command: ``bench list | run`` here, and the subcommands that modules add through
``register(subparsers)`` (:data:`EXTRA_COMMANDS`): ``report``, ``compare``, ``history``,
``pretrain``, ``gate``, ``curves``, ``rl-summary`` and ``data``. The older ``python -m bench.cli.gate``,
``python -m bench.reporting.curves`` and ``python -m bench.reporting.rl_summary`` are aliases over the same parser
(:func:`main` with ``command``).

``bench run`` with no selection is the quick tour (:mod:`bench.plan.tour`); ``--all`` is the whole
matrix. Everything is checked before the first cell starts: the selection and settings, the
timeout, every output path, and every cell's dataset (a cell whose dataset is absent and cannot be
downloaded is ``skipped``, with the command that fixes it). Results are saved, and recorded in
the history, as each cell ends; Ctrl-C and SIGTERM stop the run with what finished kept, and
``--resume`` runs only the cells that have no result yet.

Bad input gives a one-line message and exit status 2; a run whose cells did not all finish ok,
or whose results could not be written, exits 1 (130 after Ctrl-C, 143 after SIGTERM); never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import math
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from bench import specs
from bench.config import RunConfig
from bench.core import backends, modes
from bench.core.data import catalog
from bench.core.errors import BenchError, choices
from bench.core.paths import absolute, writable_dir, writable_file
from bench.execute import executors, matrix
from bench.plan import tour
from bench.reporting import report
from bench.reporting.history import Recorder, db_path
from bench.reporting.store import Result, results_dir
from bench.specs import registry

EXIT_USAGE, EXIT_FAILED_CELLS, EXIT_INTERRUPTED, EXIT_TERMINATED = 2, 1, 130, 143
# modules that each add a subcommand through ``register(subparsers)``
EXTRA_COMMANDS: tuple[str, ...] = (
    "bench.execute.side_by_side",
    "bench.execute.python_envs",
    "bench.reporting.report",
    "bench.reporting.compare",
    "bench.reporting.history",
    "bench.execute.pretrain",
    "bench.cli.gate",
    "bench.reporting.curves",
    "bench.reporting.rl_summary",
    "bench.cli.data",
)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it unwinds like Ctrl-C: the running cell is
    killed, temporary files go, what finished is kept."""


def say(message: str) -> None:
    """A line for the user on stderr (stdout keeps the summary table)."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _names(values, what: str, notes: list) -> list[str] | None:
    """Names from repeatable, comma-separated options; None when the option was not given. An
    option given with nothing in it is refused; a name given twice runs once, with a word."""
    if values is None:
        return None
    named = [v.strip() for raw in values for v in raw.split(",") if v.strip()]
    if not named:
        raise BenchError(f"{what} is empty: name at least one (see 'bench list'), or leave {what} out")
    twice = [n for n, c in Counter(named).items() if c > 1]
    if twice:
        notes.append(f"{what} names {', '.join(twice)} more than once; each runs once")
    return list(dict.fromkeys(named))


def _repeated_settings(items, notes: list) -> None:
    """A ``--set`` key given twice with different values is refused; twice alike counts once."""
    seen: dict[str, list[str]] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if sep:
            seen.setdefault(key.strip(), []).append(value.strip())
    for key, values in seen.items():
        if len(set(values)) > 1:
            raise BenchError(f"--set {key} is given twice with different values ({', '.join(values)}); give it once")
        if len(values) > 1:
            notes.append(f"--set {key}={values[0]} is given {len(values)} times; it counts once")


def is_tour(args) -> bool:
    return not getattr(args, "all", False) and getattr(args, "algo", None) is None


def build_cells(args, notes: list | None = None, place=None) -> list:
    """Every cell of the selection as a resolved, validated RunConfig; any bad input is one
    BenchError before a cell starts. ``notes`` collects what was tidied up (names given twice).
    ``place``: the executor, whose machines' devices count (default: this machine's)."""
    notes = [] if notes is None else notes
    if getattr(args, "all", False) and args.algo is not None:
        raise BenchError("--all runs every algorithm; give either --all or --algo, not both")
    if args.budget not in specs.BUDGETS:
        raise BenchError(f"unknown budget '{args.budget}'; choose from: {choices(specs.BUDGETS)}")
    named = _names(args.algo, "--algo", notes)
    if named is not None:
        algos = named
    elif is_tour(args):
        algos = list(tour.ALGOS)
    else:
        algos = [n for n, s in specs.all_specs().items() if s.in_default_run]
    for algo in algos:
        specs.get(algo)
    asked = _names(args.backend, "--backend", notes)
    wanted = asked if asked is not None else list(tour.BACKENDS if is_tour(args) else backends.BACKENDS)
    pool = backends.BACKENDS + backends.REFERENCE_BACKENDS
    for b in wanted:
        if b not in pool:
            raise BenchError(f"unknown backend '{b}'; choose from: {choices(pool)}")
    engines = _names(getattr(args, "engine", None), "--engine", notes)
    if engines is not None and "keras" not in wanted:
        raise BenchError("--engine chooses the keras backend's engine: add --backend keras (or leave --backend out)")
    for engine in engines or ():
        backends.check_engine(engine)
    if named is None:  # the tour or --all, narrowed by --backend: the algorithms that have one of them
        algos = [a for a in algos if any(registry.has_impl(a, b) for b in wanted)]
    board = getattr(args, "tensorboard", None)
    if board is not None:  # the cells run elsewhere (cwd = the clone): the path the user meant, made absolute
        board = str(absolute(writable_dir(board, "--tensorboard")))
    if args.device == "all":
        devices = place.available_devices() if place is not None else backends.available_devices()
    else:
        (place.check_device if place is not None else backends.check_device)(args.device)
        devices = [args.device]
    if args.seeds < 1:
        raise BenchError("--seeds must be at least 1")
    _repeated_settings(args.set, notes)
    overrides = specs.parse_overrides(args.set)
    # who runs the cells, and whether they measure speed (then each has its node to itself)
    placing = {"executor": getattr(args, "executor", "local"), "exclusive": not getattr(args, "quality_only", False)}
    want_modes = modes.parse(getattr(args, "mode", None), "--mode", modes.all_mode_names())
    want_precisions = modes.parse(getattr(args, "precision", None), "--precision", modes.PRECISIONS)
    cells = []
    # each backend on its engines: Keras on every --engine (default: its default engine), the others as they are
    on_engines = [(b, e) for b in wanted for e in ((engines or [None]) if b == "keras" else [None])]
    for algo, (backend, engine), device, seed in itertools.product(
        algos, on_engines, devices, range(args.seed, args.seed + args.seeds)
    ):
        if not registry.has_impl(algo, backend):
            if asked is not None and named is not None:  # both named: say so; otherwise skip quietly
                registry.check(algo, backend)
            continue
        given = {**(tour.settings(algo, args.budget) if is_tour(args) else {}), **overrides}  # the user's win
        module, strict = specs.get(algo).module, named is not None
        for mode, precision in itertools.product(
            modes.expand(want_modes, module, backends.label(backend, engine), device, "mode", strict),
            modes.expand(want_precisions, module, backends.label(backend, engine), device, "precision", strict),
        ):
            cells.append(
                RunConfig.create(
                    algo,
                    backend,
                    device,
                    seed,
                    args.budget,
                    given,
                    threads=args.threads,
                    tensorboard=board,
                    engine=engine,
                    mode=mode,
                    precision=precision,
                    **placing,
                )
            )
    _check_axes_used(want_modes, cells, [backends.label(b, e) for b, e in on_engines], "mode")
    if not cells:
        raise BenchError("nothing to run for that selection")
    return cells


def _check_axes_used(asked, cells, wanted, axis) -> None:
    """A ``--mode`` name that no selected backend has is refused, naming each one's modes."""
    if not asked or modes.ALL in asked:
        return
    used = {getattr(c, axis) for c in cells}
    for name in asked:
        if name not in used:
            have = "; ".join(f"{b}: {', '.join(modes.of(b).names())}" for b in wanted if modes.known(b))
            raise BenchError(f"no selected backend has --{axis} {name}; the modes of each: {have}")


def cmd_list(args) -> int:
    import pandas as pd

    devices = backends.available_devices()
    rows = []
    for name, spec in specs.all_specs().items():
        row = {"algorithm": name, "kind": spec.kind}
        for b in backends.BACKENDS + backends.REFERENCE_BACKENDS:
            for engine in backends.KERAS_ENGINES if b == "keras" else (None,):
                column = backends.label(b, engine)
                if not registry.has_impl(name, b):
                    row[column] = "-"
                elif engine is not None:
                    row[column] = "yes" if _engine_ready(engine) else "not installed"
                else:
                    row[column] = "yes" if backends.framework_installed(b) else "not installed"
        row["devices"] = ",".join(devices)
        for b in backends.BACKENDS:  # (mode x precision) each backend, Keras on each engine, runs it in
            have = registry.has_impl(name, b)
            for engine in backends.KERAS_ENGINES if b == "keras" else (None,):
                column = backends.label(b, engine)
                row[f"{column} modes x precisions"] = modes.table(spec.module, column, devices[-1]) if have else "-"
        row["title"] = spec.title
        rows.append(row)
    print(pd.DataFrame(rows).to_string(index=False))
    return 0


def _engine_ready(engine: str) -> bool:
    try:
        backends.check_engine(engine)
        return True
    except BenchError:
        return False


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


def _print_summary(results: list[Result]) -> None:
    import pandas as pd

    if not results:
        return
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format", "{:.4g}".format):
        print(summary_table(results).to_string(index=False), flush=True)


def _plan_data(cells, matrix) -> tuple[list, list[Result]]:
    """Every cell's dataset before any cell starts: downloads first, stand-ins announced, cells
    whose dataset cannot be had listed once as skipped with the fix. -> (runnable cells, skipped)."""
    plan = matrix.check_data(cells)
    if plan.download:
        failed = {}
        for name, st in plan.download.items():
            f = st.download
            say(
                f"downloading {st.dataset.title} ({f.filename}{f', {f.size:,} bytes' if f.size else ''}) "
                f"from {f.url} ..."
            )
            try:
                say(f"{st.dataset.title}: {catalog.fetch(name)[0]}")
            except BenchError as exc:
                failed[name] = f"its download failed: {exc}"
        plan = matrix.check_data(cells, probe_network=False, failed=failed)
    for name, using in plan.stand_in.items():
        ds = catalog.get(name)
        say(
            f"note: {ds.title} is not here (looked in {catalog.looked_in()}): {matrix.group_labels(using)} "
            f"use {ds.fallback} instead; for {ds.title}: {catalog.fix(name)}"
        )
    skipped = []
    for name, blocked in plan.skipped.items():
        ds = catalog.get(name)
        say(
            f"skipped {len(blocked)} cell(s): {ds.title} is not here ({plan.reasons[name]}): "
            f"{matrix.group_labels(blocked)}"
        )
        say(f"  fix: {catalog.fix(name)}")
        skipped += [matrix.skipped_result(c, name, plan.reasons[name]) for c in blocked]
    return plan.runnable, skipped


def _check_outputs(args, out_dir: Path):
    """Every path the run writes, checked before any cell starts. -> (history path or None, report dir)."""
    writable_dir(out_dir, "--results-dir")
    db = None
    if args.db is not None and not args.db.strip():
        raise BenchError("--db is empty: give a path")
    if not args.no_history:
        db = db_path(args.db, args.results_dir)
        if db.exists() and db.is_dir():
            raise BenchError(f"--db {db} is a directory; give a file (e.g. {db / 'history.sqlite'})")
        writable_file(db, "--db" if args.db else "the history database")
    return db


def _install_sigterm():
    def handler(signum, frame):
        raise Terminated()

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        return None


def cmd_run(args) -> int:
    executor = executors.create(args.executor, args.jobs, args.ray_address, args.quality_only)
    try:
        return _run(args, executor)
    finally:
        executor.close()  # a local Ray cluster started for the run stops here


def _run(args, executor) -> int:
    from tqdm import tqdm

    notes: list[str] = []
    cells = build_cells(args, notes, place=executor)
    if not (math.isfinite(args.timeout) and args.timeout > 0):
        raise BenchError(f"--timeout must be a positive number of seconds, got {args.timeout:g}")
    if args.results_dir is not None and not args.results_dir.strip():
        raise BenchError("--results-dir is empty: give a path")
    out_dir = Path(args.results_dir).expanduser() if args.results_dir is not None else results_dir()
    db = _check_outputs(args, out_dir)
    want_report = args.report if args.report is not None else is_tour(args)
    for note in notes:
        say(f"note: {note}")
    if is_tour(args):
        algos = list(dict.fromkeys(c.algo for c in cells))
        bks = list(dict.fromkeys(c.backend for c in cells))
        say(
            f"the quick tour: {len(cells)} cells, {', '.join(algos)} on {', '.join(bks)} ({args.budget} budget; "
            f"tour settings: {tour.describe(args.budget)}); 'bench run --all' runs the whole matrix"
        )
    executor.check(cells)
    if executor.name == "ray":
        say(_cluster_line(executor))
    if executor.name == "ray" and not executor.embedded:  # each node checks its own data (a per-cell message)
        runnable, skipped = list(cells), []
    else:
        runnable, skipped = _plan_data(cells, matrix)
    kept: list[Result] = []
    if args.resume:
        have = matrix.finished(runnable, out_dir)
        kept = [matrix.results.load(p) for p in have if p is not None]
        runnable = [c for c, p in zip(runnable, have) if p is None]
        say(
            f"resume: {len(kept)} of {len(kept) + len(runnable)} cells already have results in {out_dir} for the "
            f"same configuration; running the other {len(runnable)}"
        )
    recorder = None
    if db is not None and runnable:
        recorder = Recorder(db, str(out_dir))
    done: list[Result] = []
    written: list[Path] = []  # the result files in out_dir (a result kept elsewhere is not one of them)
    bar = tqdm(
        total=len(runnable), desc="bench", unit="cell", disable=args.no_progress or not runnable, file=sys.stderr
    )

    losses: Counter = Counter()  # cell -> times lost (a lost cell is retried matrix.LOST_RETRIES times)

    def on_result(result, path):
        done.append(result)
        if path is not None and Path(path).parent == out_dir:
            written.append(path)
        if recorder is not None:
            recorder.add(result)
        if result.status == "lost":
            losses[result.cell] += 1
        if result.status != "lost" or losses[result.cell] > matrix.LOST_RETRIES:  # else it runs again
            bar.update(1)
        if result.status != "ok":
            bar.write(
                f"{result.algo}/{result.backend}/{result.device}/seed{result.seed}: {result.status}: {result.error}"
            )

    def on_progress(running, queued):  # cells done (the bar), running and queued
        what = f": {running[0].label}" if len(running) == 1 else ""
        bar.set_postfix_str(f"{len(running)} running, {queued} queued{what}")

    executor.on_progress = on_progress

    failure: BaseException | None = None
    previous = _install_sigterm()
    try:
        matrix.run_matrix(runnable, out_dir, args.timeout, on_result, executor)
    except (KeyboardInterrupt, matrix.ResultsNotSaved) as exc:
        failure = exc
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        bar.close()
        if recorder is not None:
            recorder.close()
    _print_summary(kept + done)  # the skipped cells were listed once, above
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
    final = _last_attempts(done)  # a lost cell that ran again counts once, by its last attempt
    if isinstance(failure, KeyboardInterrupt):
        left = len(runnable) - len(final)
        kept_words = f"the {len(final)} that finished are kept" if final else "none had finished"
        say(
            f"{'terminated' if isinstance(failure, Terminated) else 'interrupted'} with {left} of {len(runnable)} "
            f"cells not run; {kept_words}. 'bench run ... --resume' with the same options runs the rest"
        )
        return EXIT_TERMINATED if isinstance(failure, Terminated) else EXIT_INTERRUPTED
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
        report_failed = _write_report(kept + done, out_dir)
    bad = [r for r in final if r.status != "ok"]
    if bad:
        say(f"{len(bad)} of {len(final)} cells did not finish ok")
        return EXIT_FAILED_CELLS
    if skipped:
        say(f"{len(skipped)} cell(s) skipped for want of their data (see the fix above); the others finished ok")
    if report_failed:
        raise report_failed
    return 0


def _last_attempts(results: list[Result]) -> list[Result]:
    """One result per cell: its last attempt (a cell lost on a cluster runs again)."""
    return list({r.cell: r for r in results}.values())


def _cluster_line(executor) -> str:
    nodes, totals = executor.nodes(), executor.totals()
    started = f", started in {executor.startup_s:.1f} s" if executor.embedded and executor.startup_s else ""
    gpus = f", {totals.get('GPU', 0):g} GPUs" if totals.get("GPU") else ""
    return f"Ray: {executor.where}{started}: {len(nodes)} node(s), {totals.get('CPU', 0):g} CPUs{gpus}"


def _write_report(results: list[Result], out_dir: Path) -> BenchError | None:
    """The report of this run's results next to them; its path last on the console. A report that
    cannot be written is an error, after the results are safe."""
    ok = [r for r in results if r.status == "ok"]
    if not ok:
        say("no report: no cell finished ok")
        return None
    present = [b for b in report.BACKEND_ORDER if any(r.backend == b for r in ok)] or sorted({r.backend for r in ok})
    try:
        html, md = report.write(results, out_dir, reference=present[0], speed_records=report.speed_records_in(out_dir))
    except (OSError, BenchError) as exc:
        return RunFailed(
            f"the results are in {out_dir}, but the report could not be written there ({exc}); "
            f"'bench report {out_dir} --out DIR' writes it elsewhere"
        )
    print(f"report: {html} (and {md})", flush=True)
    return None


class RunFailed(BenchError):
    """An error after the work was done and kept: exit 1, not a usage error."""

    exit_code = EXIT_FAILED_CELLS


def existing_dir(text: str) -> Path:
    """argparse type of a directory argument: a missing one is a usage error (one line, exit 2)."""
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"no directory '{text}'")
    return Path(text)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, as for every other bad input
        raise BenchError(f"{message} (see 'bench {self.prog.split()[-1]} --help')" if " " in self.prog else message)


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="bench", description="Benchmark TensorFlow, PyTorch and Keras on the same algorithms.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser(
        "list",
        help="algorithms x backends x devices, and the modes x precisions of each, available here",
        description="Algorithms x backends x devices available here, and the (mode, precision) combinations each "
        "backend runs each algorithm in (the backend's default mode first; '(gpu)': a mode that needs a GPU).",
    ).set_defaults(func=cmd_list)
    run = sub.add_parser(
        "run",
        help="run the quick tour, a selection (--algo) or the whole matrix (--all), then summarise",
        description="With no --algo and no --all: the quick tour (linreg, mle_normal, lenet5 on the digits, dqn, "
        "reinforce on tf, torch and keras; a few minutes, offline), then its report. Results go to "
        "--results-dir and its history.sqlite as each cell ends.",
    )
    run.add_argument(
        "--algo", action="append", help="algorithm(s), repeatable or comma-separated (default: the quick tour)"
    )
    run.add_argument(
        "--all", action="store_true", help="every algorithm (but the long Atari run, which runs when named with --algo)"
    )
    run.add_argument("--backend", action="append", help="tf, torch, keras (default: all) or numpy (reference)")
    run.add_argument(
        "--engine",
        action="append",
        help="the keras backend's engine(s): tensorflow (default), jax, torch; repeatable or comma-separated; "
        "a cell on jax is named keras[jax]",
    )
    run.add_argument("--device", default="cpu", help="cpu, gpu or all (default: cpu)")
    run.add_argument("--seeds", type=int, default=1, help="number of seeds (default 1)")
    run.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    run.add_argument("--budget", default="quick", help="quick or full (default: quick)")
    run.add_argument(
        "--mode",
        action="append",
        help="execution mode(s), repeatable or comma-separated: tf eager, graph (default), xla; torch eager "
        "(default), compile, compile-max, reduce-overhead (GPU); keras jit-off (default), jit-on (XLA on TensorFlow, "
        "torch.compile on PyTorch); keras[jax] jit-on (default), fit (whole epochs through model.fit); 'all': every "
        "mode each backend runs the algorithm in (see 'bench list')",
    )
    run.add_argument(
        "--precision",
        action="append",
        help="fp32 (default), bf16 (mixed: bf16 compute, fp32 weights) or all; repeatable or comma-separated",
    )
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a spec setting")
    run.add_argument("--timeout", type=float, default=1800, help="seconds per cell, > 0 (default 1800)")
    run.add_argument(
        "--threads",
        type=int,
        default=None,
        help="framework threads, the same for intra-op, inter-op and OpenMP "
        "(default: the spec's, 1 for every spec today)",
    )
    run.add_argument(
        "--results-dir",
        default=None,
        help="where results go, relative to the working directory (default $BENCH_RESULTS_DIR or "
        "results/runs); its history.sqlite goes with it unless --db",
    )
    run.add_argument(
        "--db",
        default=None,
        help="history database file (default: history.sqlite in the results "
        "directory; $BENCH_HISTORY when no --results-dir is given)",
    )
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
    run.add_argument("--no-history", action="store_true", help="do not record the results in the history database")
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
    run.set_defaults(func=cmd_run)
    for name in EXTRA_COMMANDS:  # modules that add their own subcommand: register(subparsers)
        importlib.import_module(name).register(sub)
    return p


def _one_line(text: str) -> str:
    return " ".join(str(text).split("\n")).strip()


def _stdout_gone() -> None:
    """stdout's reader went away (``bench list | head``): send the rest nowhere, quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv=None, command: str | None = None) -> int:
    """``bench ARGV``; with ``command``, ``bench COMMAND ARGV`` (the ``python -m`` aliases)."""
    if command:
        argv = [command, *(sys.argv[1:] if argv is None else argv)]
    try:
        args = parser().parse_args(argv)
        code = args.func(args)
        sys.stdout.flush()  # a reader that went away (`bench list | head`) is found here, not at exit
        return code
    except BenchError as exc:
        print(f"bench: error: {_one_line(exc)}", file=sys.stderr)
        return getattr(exc, "exit_code", EXIT_USAGE)
    except KeyboardInterrupt as exc:
        print("bench: interrupted; results already written are kept", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except BrokenPipeError:
        _stdout_gone()
        return 0
    except OSError as exc:  # an output that failed after the checks (a disk that filled up, ...)
        where = f" {exc.filename}" if exc.filename else ""
        print(f"bench: error: cannot write{where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED_CELLS
    except Exception as exc:  # a bug: still one line, the traceback on request
        if os.environ.get("BENCH_TRACEBACK"):
            raise
        print(
            f"bench: internal error: {type(exc).__name__}: {_one_line(exc)} (BENCH_TRACEBACK=1 shows where)",
            file=sys.stderr,
        )
        return EXIT_FAILED_CELLS


if __name__ == "__main__":
    sys.exit(main())
