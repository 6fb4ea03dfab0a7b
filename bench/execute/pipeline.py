"""One path from cells to measurements, for every command that runs cells (``bench run``, the
tour, ``bench gate``, ``bench pretrain``): the up-front checks (the executor's resources, every
cell's dataset, the output paths), ``--resume``, the run itself through an executor (each cell in
a process of its own, :mod:`bench.execute.cell_process`), each result saved as it ends and
recorded in the history, and SIGTERM and Ctrl-C stopping the run with what finished kept.

The command above decides what to print and which exit status the :class:`Outcome` gives."""

from __future__ import annotations

import signal
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.core.data import catalog
from bench.core.errors import BenchError
from bench.core.paths import writable_dir, writable_file
from bench.execute import matrix
from bench.reporting import store
from bench.reporting.history import HistoryWriter, db_path
from bench.reporting.schema import Result


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it unwinds like Ctrl-C: the running cell is
    killed, temporary files go, what finished is kept."""


@dataclass
class Outcome:
    runnable: list  # the cells that were to run (after the data check and --resume)
    kept: list = field(default_factory=list)  # results of an earlier run, kept by --resume
    done: list = field(default_factory=list)  # every result of this run, a lost cell's attempts included
    skipped: list = field(default_factory=list)  # cells whose dataset could not be had
    written: list = field(default_factory=list)  # result files written into the results directory
    failure: BaseException | None = None  # Ctrl-C, SIGTERM or results that could not be saved
    history: HistoryWriter | None = None

    @property
    def final(self) -> list[Result]:
        """One result per cell: its last attempt (a cell lost on a cluster runs again)."""
        return list({r.cell: r for r in self.done}.values())


def check_outputs(out_dir: Path, db: str | None, results_dir: str | None, no_history: bool) -> Path | None:
    """Every path the run writes, checked before any cell starts. -> the history path, or None."""
    writable_dir(out_dir, "--results-dir")
    if db is not None and not db.strip():
        raise BenchError("--db is empty: give a path")
    if no_history:
        return None
    path = db_path(db, results_dir)
    if path.exists() and path.is_dir():
        raise BenchError(f"--db {path} is a directory; give a file (e.g. {path / 'history.sqlite'})")
    writable_file(path, "--db" if db else "the history database")
    return path


def plan_data(cells, say) -> tuple[list, list[Result]]:
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


def _install_sigterm():
    def handler(signum, frame):
        raise Terminated()

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        return None


def run_cells(
    cells,
    out_dir: Path,
    executor,
    *,
    timeout_s: float,
    say,
    history: Path | None = None,
    resume: bool = False,
    progress: bool = True,
    on_each=None,
    on_checked=None,
) -> Outcome:
    """Check, then run ``cells`` through ``executor`` into ``out_dir``. ``history``: the database
    each result is recorded in as it ends; ``on_each(result, done, total)``: after each cell;
    ``on_checked()``: once the executor has checked the cells against its machines."""
    from tqdm import tqdm

    executor.check(cells)
    if on_checked is not None:
        on_checked()
    if executor.name == "ray" and not executor.embedded:  # each node checks its own data (a per-cell message)
        runnable, skipped = list(cells), []
    else:
        runnable, skipped = plan_data(cells, say)
    outcome = Outcome(runnable, skipped=skipped)
    if resume:
        have = matrix.finished(runnable, out_dir)
        outcome.kept = [store.load(p) for p in have if p is not None]
        outcome.runnable = runnable = [c for c, p in zip(runnable, have) if p is None]
        say(
            f"resume: {len(outcome.kept)} of {len(outcome.kept) + len(runnable)} cells already have results in "
            f"{out_dir} for the same configuration; running the other {len(runnable)}"
        )
    if history is not None and runnable:
        outcome.history = HistoryWriter(history, str(out_dir))
    bar = tqdm(total=len(runnable), desc="bench", unit="cell", disable=not progress or not runnable, file=sys.stderr)
    losses: Counter = Counter()  # cell -> times lost (a lost cell is retried matrix.LOST_RETRIES times)

    def on_result(result, path):
        outcome.done.append(result)
        if path is not None and Path(path).parent == out_dir:
            outcome.written.append(path)
        if outcome.history is not None:
            outcome.history.add(result)
        if result.status == "lost":
            losses[result.cell] += 1
        if result.status != "lost" or losses[result.cell] > matrix.LOST_RETRIES:  # else it runs again
            bar.update(1)
        if on_each is not None:
            on_each(result, len(outcome.final), len(runnable))
        elif result.status != "ok":
            bar.write(
                f"{result.algo}/{result.backend}/{result.device}/seed{result.seed}: {result.status}: {result.error}"
            )

    def on_progress(running, queued):  # cells done (the bar), running and queued
        what = f": {running[0].label}" if len(running) == 1 else ""
        bar.set_postfix_str(f"{len(running)} running, {queued} queued{what}")

    executor.on_progress = on_progress
    previous = _install_sigterm()
    try:
        matrix.execute_cells(runnable, out_dir, timeout_s, on_result, executor)
    except (KeyboardInterrupt, matrix.ResultsNotSaved) as exc:
        outcome.failure = exc
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        bar.close()
        if outcome.history is not None:
            outcome.history.close()
    return outcome
