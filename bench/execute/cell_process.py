"""Entry point of one cell's subprocess: ``python -m bench.execute.cell_process CELL_JSON OUT_JSON``.

Rebuilds the cell's RunConfig (resolved and validated by the parent; nothing is resolved
again here), runs it and writes its Result atomically to OUT_JSON, then leaves at once, without
the frameworks' slow teardown. A crash, a kill or a timeout leaves
no file; the parent (bench.execute.matrix) then records the failure itself.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from pathlib import Path

from bench.config import RunConfig
from bench.core.backends import select_engine
from bench.reporting.schema import Result
from bench.reporting.store import atomic_write
from bench.train.runner import measure_cell


def _exit_with_parent() -> None:
    """A cell whose matrix process died (even by SIGKILL) stops too, instead of running on."""
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, daemon=True).start()


def compute(cell: RunConfig) -> Result:
    """The cell in this process, which must be fresh (no framework imported yet): its Result,
    its card marked with the execution axes and where it ran. This process's main, and the
    body of a Ray task (bench.execute.ray_cluster), whose worker is as fresh."""
    if cell.backend == "keras":  # Keras reads its engine once, when first imported
        select_engine(cell.engine)
    result = measure_cell(cell)
    if (
        not result.card.empty
    ):  # where it ran, and whether other cells could share the node (then its speed is not compared)
        result.card.placement = {"executor": cell.executor, "node": socket.gethostname(), "exclusive": cell.exclusive}
    return result


def main(argv=None) -> int:
    _exit_with_parent()
    cell_json, out = (argv or sys.argv[1:])[:2]
    result = compute(RunConfig.from_json(cell_json))
    atomic_write(Path(out), json.dumps(result.to_dict()))
    return 0


if __name__ == "__main__":
    code = main()
    # The result is on disk (written atomically, fsynced); the frameworks' own teardown at
    # interpreter exit (thread pools, atexit hooks) adds seconds per cell and nothing to keep.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
