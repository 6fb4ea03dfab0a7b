"""Executors: who runs the cells of a matrix (``bench run --executor local|ray``).

Both hand every Result back to :func:`bench.execute.matrix.execute_cells` as its cell ends, which saves it
atomically and records it in the history; both stop what is still running or queued when the
run is interrupted, so that Ctrl-C keeps what finished and ``--resume`` runs the rest.

* :class:`~bench.execute.local.LocalExecutor`: each cell in its own subprocess on this machine,
  one after another, or ``--jobs N`` side by side for a run that measures quality only.
* :class:`~bench.execute.ray_cluster.RayExecutor`: each cell one Ray task in a fresh worker
  process, on a cluster named by ``--ray-address`` or ``RAY_ADDRESS``, else on a local cluster
  started for the run. A cell that measures speed takes a whole node; quality-only cells pack.

Every check that needs no cell (Ray installed, the address answering, ``--jobs``) is made by
:func:`create`, before the cells are built; the cluster's devices and resources are checked
against the cells by the executor's ``check`` before the first cell starts.
"""

from __future__ import annotations

from bench.core.errors import BenchError, choices
from bench.execute.local import LocalExecutor
from bench.execute.ray_cluster import RayExecutor

EXECUTORS = ("local", "ray")


def create(name: str, jobs: int | None = None, address: str | None = None, quality_only: bool = False):
    """The executor for ``bench run``'s options; any bad combination is a BenchError (exit 2)."""
    if name not in EXECUTORS:
        raise BenchError(f"unknown executor '{name}'; choose from: {choices(EXECUTORS)}")
    if jobs is not None and jobs < 1:
        raise BenchError(f"--jobs must be at least 1, got {jobs}")
    if name == "local":
        if address is not None:
            raise BenchError("--ray-address is for --executor ray; add --executor ray, or leave --ray-address out")
        if (jobs or 1) > 1 and not quality_only:
            raise BenchError(
                f"--jobs {jobs} runs cells side by side, which spoils their speed figures; add --quality-only "
                "(speed is then recorded as shared and not compared), or leave --jobs out"
            )
        return LocalExecutor(jobs or 1)
    if jobs is not None:
        raise BenchError("--jobs is for --executor local; on Ray the cluster's CPUs decide how many cells run at once")
    return RayExecutor(address)
