"""Runs many cells, each in its own subprocess with a timeout. A crash, a divergence or a
timeout becomes a recorded Result and the rest of the matrix continues; every Result is saved
as soon as its cell ends, so nothing already measured is lost. Who runs the cells, here one after
another or side by side, or on a Ray cluster, is an executor (:mod:`bench.execute.executors`); saving,
the fallback and the stop on an unsaved result are here, the same for every executor.

Before any cell starts, :func:`check_data` sorts the cells by their datasets
(:mod:`bench.core.data.catalog`): present, to download first, or absent (those cells are ``skipped``
and never start). :func:`finished` finds the cells whose results are already in a results
directory for the same configuration (``bench run --resume``). A result that cannot be written
where it belongs is kept in a fallback file (:func:`keep_safe`) and the matrix stops with
:class:`ResultsNotSaved`."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol

from bench.config import RunConfig
from bench.core import modes
from bench.core.data import catalog, files
from bench.core.errors import BenchError
from bench.reporting import store as results
from bench.reporting.schema import Result, clean
from bench.specs.registry import ROOT

DEFAULT_TIMEOUT_S = 1800
LOST_RETRIES = 1  # a cell whose worker or node died (status "lost") runs again this many times
_RUNNING: set[subprocess.Popen] = set()  # the cell processes started by spawn and not yet ended
_RUNNING_LOCK = threading.Lock()


def spawn(cell: RunConfig, timeout_s: float = DEFAULT_TIMEOUT_S) -> Result:
    with tempfile.TemporaryDirectory(prefix="bench-cell-") as tmp:
        out = Path(tmp) / "result.json"
        err_path = Path(tmp) / "stderr.txt"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        t0 = time.perf_counter()
        with open(err_path, "w") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bench.execute.cell_process", cell.to_json(), str(out)],
                stdout=err,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=ROOT,
                start_new_session=True,
            )
            with _RUNNING_LOCK:
                _RUNNING.add(proc)
            try:
                code = proc.wait(timeout=timeout_s)
                status = None
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                code, status = proc.wait(), "timeout"
            except BaseException:  # interrupted: take the cell down with us
                _kill_group(proc)
                raise
            finally:
                with _RUNNING_LOCK:
                    _RUNNING.discard(proc)
        wall = time.perf_counter() - t0
        tail = err_path.read_text(errors="replace")[-4000:]
        if status is None and out.exists():
            try:
                return Result.from_dict(json.loads(out.read_text()))
            except ValueError:
                status = "crashed"
        result = Result(
            cell.algo,
            cell.name,
            cell.device,
            cell.seed,
            cell.budget,
            overrides=dict(cell.overrides),
            wall_s=wall,
            log=tail,
        )
        if status == "timeout":
            result.status, result.error = "timeout", timeout_error(timeout_s)
        else:
            result.status = "crashed"
            how = f"signal {-code}" if code < 0 else f"exit code {code}"
            result.error = f"the cell's process died ({how}) before writing a result"
        return result


def timeout_error(timeout_s: float) -> str:
    return f"no result within the {timeout_s:g} s timeout"


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def stop_running() -> None:
    """Kill every cell process that :func:`spawn` started and that has not ended (an executor
    running cells in threads, interrupted: the threads' waits then return)."""
    with _RUNNING_LOCK:
        procs = list(_RUNNING)
    for proc in procs:
        _kill_group(proc)


class Executor(Protocol):
    """Who runs the cells (:mod:`bench.execute.executors`): ``run`` hands back (cell, Result) as each cell
    ends, in the order they end; closing the iterator early (Ctrl-C, a result that cannot be
    saved) stops the cells still running or queued. ``on_progress(running, queued)`` is called
    whenever those change."""

    name: str
    on_progress: Callable[[list[RunConfig], int], None] | None

    def run(self, cells: list[RunConfig], timeout_s: float) -> Iterator[tuple[RunConfig, Result]]: ...


class ResultsNotSaved(BenchError):
    """A finished cell's result could not be written to the results directory; it was kept in
    ``fallback`` instead (None: nowhere, it was printed). The matrix stops: what is measured next
    would meet the same fate."""

    exit_code = 1

    def __init__(self, message: str, result: Result, fallback: Path | None):
        super().__init__(message)
        self.result, self.fallback = result, fallback


def fallback_dirs() -> list[Path]:
    """Where a result that cannot be written to its directory is kept, in order of preference."""
    return [files.CACHE / "unsaved", Path(tempfile.gettempdir()) / f"dlbench-unsaved-{os.getuid()}"]


def keep_safe(result: Result) -> Path | None:
    """Write ``result`` to the first fallback directory that takes it; None when none does (then
    the caller prints the record, the last place left)."""
    for d in fallback_dirs():
        try:
            return results.save(result, d)
        except OSError:
            continue
    return None


def execute_cells(
    cells: Iterable[RunConfig],
    results_dir: Path,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    on_result: Callable[[Result, Path], None] | None = None,
    executor: Executor | None = None,
) -> list[Result]:
    """Run the cells (``executor``; None: one after another here); each Result is saved (then
    handed to ``on_result``) as soon as its cell ends. A Result that cannot be saved is kept by
    :func:`keep_safe`, handed to ``on_result`` all the same, and the run stops with
    :class:`ResultsNotSaved`, stopping the cells still running."""
    cells = list(cells)
    stream = executor.run(cells, timeout_s) if executor is not None else ((c, spawn(c, timeout_s)) for c in cells)
    with contextlib.closing(stream):
        return _save_each(stream, results_dir, on_result)


def _save_each(stream, results_dir: Path, on_result) -> list[Result]:
    done = []
    for cell, result in stream:
        try:
            path, problem = results.save(result, results_dir), None
        except OSError as exc:
            path, problem = keep_safe(result), exc
        done.append(result)
        if on_result:
            on_result(result, path)
        if problem is not None:
            where = f"kept in {path}" if path else "printed above (no fallback file could be written)"
            if path is None:
                print(json.dumps(result.to_dict()), file=sys.stderr)
            raise ResultsNotSaved(
                f"cannot write results to {results_dir} ({type(problem).__name__}: {problem}); "
                f"the result of {cell.label} is {where}",
                result,
                path,
            )
    return done


# data before work ------------------------------------------------------------------------------
@dataclass
class DataPlan:
    """The cells sorted by their datasets, before any cell starts."""

    runnable: list[RunConfig] = field(default_factory=list)
    skipped: dict[str, list[RunConfig]] = field(default_factory=dict)  # dataset -> cells that cannot run
    reasons: dict[str, str] = field(default_factory=dict)  # dataset -> why it cannot be had
    download: dict[str, catalog.State] = field(default_factory=dict)  # dataset -> to download first
    stand_in: dict[str, list[RunConfig]] = field(default_factory=dict)  # dataset -> cells using its fallback
    present: dict[str, Path] = field(default_factory=dict)


def check_data(cells: list[RunConfig], probe_network: bool = True, failed: dict[str, str] | None = None) -> DataPlan:
    """Every cell's datasets (``Spec.datasets``): present, downloadable, or neither. A cell whose
    dataset cannot be had and has no stand-in is skipped; a named data directory that does not
    exist is a BenchError (only when some cell reads a data file). ``failed``: datasets whose
    download was tried and failed -> why (they count as not downloadable)."""
    plan = DataPlan()
    needs = [catalog.needs(cell.spec, cell.hparams) for cell in cells]
    if any(needs):
        files.check_data_dir()
    states: dict[str, catalog.State] = {}
    for cell, cell_needs in zip(cells, needs):
        blocked = None
        for need in cell_needs:
            if need.dataset not in states:
                states[need.dataset] = catalog.state(need.dataset, probe_network)
                if failed and need.dataset in failed and not states[need.dataset].present:
                    states[need.dataset] = catalog.State(catalog.get(need.dataset), reason=failed[need.dataset])
            st = states[need.dataset]
            if st.present:
                plan.present[need.dataset] = st.path
            elif st.download is not None:
                plan.download[need.dataset] = st
            elif need.fallback:
                plan.stand_in.setdefault(need.dataset, []).append(cell)
            else:
                blocked = blocked or need.dataset
                plan.reasons[need.dataset] = st.reason
        if blocked:
            plan.skipped.setdefault(blocked, []).append(cell)
        else:
            plan.runnable.append(cell)
    return plan


def unfinished_result(cell: RunConfig, status: str, error: str, **fields) -> Result:
    """The record of a cell that gave no result of its own (skipped, lost, crashed, ...), named as
    the cell is (``keras[jax]``), with ``status`` and ``error``."""
    return Result(
        cell.algo,
        cell.name,
        cell.device,
        cell.seed,
        cell.budget,
        status=status,
        overrides=dict(cell.overrides),
        metric=cell.spec.metric,
        error=error,
        **fields,
    )


def skipped_result(cell: RunConfig, dataset: str, reason: str) -> Result:
    """The record of a cell that did not start: status ``skipped`` and the fix in its error."""
    return unfinished_result(
        cell, "skipped", f"{catalog.get(dataset).title} is not here ({reason}); {catalog.fix(dataset)}"
    )


def group_labels(cells: list[RunConfig]) -> str:
    """``resnet10, plain10 x tf, torch, keras`` (algorithms by their backends), for one line."""
    by_algo: dict[str, list[str]] = defaultdict(list)
    for c in cells:
        if c.name not in by_algo[c.algo]:
            by_algo[c.algo].append(c.name)
    by_backends: dict[tuple, list[str]] = defaultdict(list)
    for algo, bks in by_algo.items():
        by_backends[tuple(bks)].append(algo)
    return "; ".join(f"{', '.join(algos)} x {', '.join(bks)}" for bks, algos in by_backends.items())


# resume --------------------------------------------------------------------------------------------
FINISHED = ("ok", "diverged")  # statuses that a resumed run keeps; the others run again


def _identity(algo, backend, device, seed, budget, hparams, run: dict) -> str:
    # the axes as bench.core.modes reads a record (no mode: the backend's default; the MNIST specs'
    # former setting xla: the mode it chose), so that records from before the mode axis match
    mode, precision = modes.of_record(backend, hparams, run)
    hparams = {k: v for k, v in dict(hparams or {}).items() if k != "xla"}
    return json.dumps(
        clean(
            {
                "algo": algo,
                "backend": backend,
                "device": device,
                "seed": seed,
                "budget": budget,
                "hparams": dict(hparams or {}),
                "mode": mode,
                "precision": precision,
                "engine": run.get("engine"),
            }
        ),
        sort_keys=True,
    )


def cell_identity(cell: RunConfig) -> str:
    """What decides a cell's result: algorithm, backend, device, seed, budget, the resolved
    settings and the execution axes (mode, precision, engine)."""
    return _identity(
        cell.algo,
        cell.name,
        cell.device,
        cell.seed,
        cell.budget,
        cell.hparams,
        {"mode": cell.mode, "precision": cell.precision, "engine": cell.engine},
    )


def result_identity(result: Result) -> str:
    run = result.card.facts.get("run_config") or {}
    return _identity(
        result.algo,
        result.backend,
        result.device,
        result.seed,
        result.budget,
        result.hparams,
        run if isinstance(run, dict) else {},
    )


def finished(cells: list[RunConfig], results_dir: Path) -> list[Path | None]:
    """For each cell, the file of a finished (ok or diverged) result already in ``results_dir``
    for the same configuration, or None. Files that do not read as results are ignored. A cell
    that measures speed takes only a result that had its node to itself (not a packed one)."""
    if not Path(results_dir).is_dir():
        return [None] * len(cells)
    alone: dict[str, Path] = {}
    packed: dict[str, Path] = {}
    for path in sorted(Path(results_dir).glob("*.json")):
        try:
            r = results.load(path)
        except BenchError:
            continue
        if r.status in FINISHED:
            (packed if r.card.shared else alone).setdefault(result_identity(r), path)
    return [alone.get(cell_identity(c)) or (None if c.exclusive else packed.get(cell_identity(c))) for c in cells]
