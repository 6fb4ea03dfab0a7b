"""Runs many cells, each in its own subprocess with a timeout. A crash, a divergence or a
timeout becomes a recorded Result and the rest of the matrix continues; every Result is saved
as soon as its cell ends, so nothing already measured is lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable

from bench import results
from bench.config import RunConfig
from bench.registry import ROOT
from bench.results import Result

DEFAULT_TIMEOUT_S = 1800


def run_one(cell: RunConfig, timeout_s: float = DEFAULT_TIMEOUT_S) -> Result:
    with tempfile.TemporaryDirectory(prefix="bench-cell-") as tmp:
        out = Path(tmp) / "result.json"
        err_path = Path(tmp) / "stderr.txt"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        t0 = time.perf_counter()
        with open(err_path, "w") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bench.cell", cell.to_json(), str(out)],
                stdout=err, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True,
            )
            try:
                code = proc.wait(timeout=timeout_s)
                status = None
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                code, status = proc.wait(), "timeout"
            except BaseException:  # interrupted: take the cell down with us
                _kill_group(proc)
                raise
        wall = time.perf_counter() - t0
        tail = err_path.read_text(errors="replace")[-4000:]
        if status is None and out.exists():
            try:
                return Result.from_dict(json.loads(out.read_text()))
            except ValueError:
                status = "crashed"
        result = Result(cell.algo, cell.backend, cell.device, cell.seed, cell.budget,
                        overrides=dict(cell.overrides), wall_s=wall, log=tail)
        if status == "timeout":
            result.status, result.error = "timeout", f"no result within the {timeout_s:g} s timeout"
        else:
            result.status = "crashed"
            how = f"signal {-code}" if code < 0 else f"exit code {code}"
            result.error = f"the cell's process died ({how}) before writing a result"
        return result


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def run_matrix(cells: Iterable[RunConfig], results_dir: Path, timeout_s: float = DEFAULT_TIMEOUT_S,
               on_result: Callable[[Result, Path], None] | None = None) -> list[Result]:
    done = []
    for cell in cells:
        result = run_one(cell, timeout_s)
        path = results.save(result, results_dir)
        done.append(result)
        if on_result:
            on_result(result, path)
    return done
