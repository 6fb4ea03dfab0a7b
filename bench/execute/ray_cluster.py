"""The Ray executor: the matrix across a Ray cluster, with the local executor's semantics.

Each cell is one Ray task in a fresh worker process (``max_calls=1``: no framework state passes
from one cell to the next), which checks the cell's datasets on its node and then runs the cell
in that process, through the same function the local executor's cell process runs
(:func:`bench.execute.cell_process.compute`), so a cell computes the same thing on either executor. The worker
is as fresh as the local executor's cell process, so the cell needs no process of its own (one
Python start-up per cell, not two). The timeout is the driver's: a task that has run longer is
cancelled (its worker killed) and recorded as a ``timeout``. The task asks for ``num_cpus`` equal to the
cell's thread count (Ray would otherwise set ``OMP_NUM_THREADS=1``) and ``num_gpus=1`` for a GPU
cell. ``KERAS_BACKEND``, ``TF_CPP_MIN_LOG_LEVEL`` and every ``BENCH_*`` variable travel in the
task's runtime environment.

Honest throughput: every node carries the custom resource :data:`RESOURCE` (1 per node). A cell
that measures speed asks for all of it, so no other cell of the suite shares its node; a
quality-only cell asks for :data:`PACKED_SHARE` of it, so such cells pack as the CPUs allow. The
config card records the node and whether the cell had it to itself.

Results come back as each task ends (:func:`ray.wait`). A task whose worker or node died is
recorded as ``lost`` and submitted once more; a second loss is final. (The cell runs in the
worker, so a cell whose own process dies, a segmentation fault or the kernel's OOM killer, is
recorded so too: Ray cannot tell that from a worker killed from outside. A cell that dies so
every time is lost on its retry, with both records kept.) Closing the run early
(Ctrl-C) cancels the running and queued tasks. With no address, :meth:`RayExecutor.start`
starts a local cluster on this machine (no dashboard, no usage report) and stops it at the end.
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import socket
import sys
import time
from typing import Callable, Iterator
from urllib.parse import urlsplit

from bench.config import RunConfig
from bench.core.backends import DEVICES
from bench.core.data import catalog, files
from bench.core.errors import BenchError, choices
from bench.execute import matrix
from bench.execute.cell_process import compute
from bench.reporting.schema import Result

RESOURCE = "dlbench_node"  # 1 on every node; a speed cell takes all of it
PACKED_SHARE = 0.01  # a quality-only cell's share of RESOURCE: up to 100 on a node, CPUs permitting
ENV_NAMES = ("KERAS_BACKEND", "TF_CPP_MIN_LOG_LEVEL")  # with every BENCH_* variable
CONNECT_TIMEOUT_S = 5.0
WAIT_S = 0.5  # how often the driver looks at the running tasks' time, the progress and the cluster
LOCAL_OBJECT_STORE = 256 * 2**20  # the embedded cluster's object store: results are small
START_FIX = f"ray start --head --resources='{{\"{RESOURCE}\": 1}}' (docs/cluster.md)"


def installed() -> bool:
    return importlib.util.find_spec("ray") is not None


def task_env() -> dict[str, str]:
    """The variables every task runs with: this process's ``BENCH_*`` and :data:`ENV_NAMES`."""
    return {k: v for k, v in os.environ.items() if k.startswith("BENCH_") or k in ENV_NAMES}


def _reachable(address: str, what: str) -> None:
    """A quick TCP check of ``host:port`` (``ray://host:port`` too): one line naming the fix when
    nothing answers, instead of Ray's long retries. ``auto`` and other forms are left to Ray."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        if address == "auto":
            return
        raise BenchError(f"{what}: '{address}' is not a Ray address; give HOST:PORT of the head node (10.0.0.5:6379)")
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise BenchError(
            f"{what}: no Ray cluster answers at {host}:{port} ({why}); start its head there ({START_FIX}), "
            "correct the address, or leave --ray-address and RAY_ADDRESS out to start a local cluster"
        ) from None


def _node_data_problem(cell: RunConfig) -> str | None:
    """On the node running the cell: None when every dataset it reads is here and matches its
    checksum (or the spec has a stand-in); else the per-cell message with the fix."""
    host = socket.gethostname()
    try:
        needs = catalog.needs(cell.spec, cell.hparams)
        if needs:
            files.check_data_dir()
        for need in needs:
            st = catalog.state(need.dataset, probe_network=False)
            if st.present:
                ok, text = files.check(st.file, st.path)
                if ok is False:
                    return (
                        f"{st.dataset.title} at {st.path} on node {host} does not match its checksum ({text}); "
                        f"replace it on that node: {catalog.fix(need.dataset)}"
                    )
            elif not need.fallback:
                return (
                    f"{st.dataset.title} is not on node {host} (looked in {catalog.looked_in()}); "
                    f"on that node: {catalog.fix(need.dataset)}"
                )
    except BenchError as exc:
        return f"on node {host}: {exc}"
    return None


def run_on_node(cell_json: str) -> dict:
    """The body of a cell's Ray task: the node's data check, then the cell in this fresh worker
    as the local executor's cell process runs it -> the Result's dict, its card marked with the
    Ray node."""
    import ray

    cell = RunConfig.from_json(cell_json)
    problem = _node_data_problem(cell)
    if problem is not None:
        result = matrix.unfinished_result(cell, "skipped", problem)
    else:
        result = compute(cell)
    if result.card.placement is not None:
        result.card.placement = {
            **result.card.placement,
            "node_id": ray.get_runtime_context().get_node_id(),
            "node_ip": ray.util.get_node_ip_address(),
        }
    # The worker ends after this task (max_calls=1). The frameworks' teardown at interpreter exit
    # (thread pools, atexit hooks) takes a second or more of CPU from the next cell on the node
    # and keeps nothing: the last atexit hook registered runs first, and ends the process at once.
    atexit.register(_leave_at_once)
    return result.to_dict()


def _leave_at_once() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


_TASK = None


def _task():
    """The Ray remote function over :func:`run_on_node`: a fresh worker per cell, no automatic
    retries (a lost cell is retried once by the executor, and recorded)."""
    global _TASK
    if _TASK is None:
        import ray

        _TASK = ray.remote(max_calls=1, max_retries=0)(run_on_node)
    return _TASK


def options(cell: RunConfig) -> dict:
    """The task options of one cell: its CPUs, its GPU, its share of the node, its environment."""
    return {
        "num_cpus": int(cell.threads),
        "num_gpus": 1 if cell.device == "gpu" else 0,
        "resources": {RESOURCE: 1.0 if cell.exclusive else PACKED_SHARE},
        "runtime_env": {"env_vars": task_env()},
        "name": f"bench:{cell.label}",
    }


class RayExecutor:
    """The cluster at ``address`` (else ``RAY_ADDRESS``), or a local one started for the run. The
    checks that need no cluster run at once; Ray starts (or joins) when first needed."""

    name = "ray"

    def __init__(self, address: str | None = None):
        if not installed():
            raise BenchError(
                "--executor ray needs Ray, which is not installed here: pip install -c constraints.txt ray "
                "(in the clone; constraints.txt pins its version), or run with --executor local"
            )
        what = "--ray-address"
        if address is not None and not address.strip():
            raise BenchError("--ray-address is empty: give HOST:PORT of the head node, or leave it out")
        if address is None and os.environ.get("RAY_ADDRESS", "").strip():
            address, what = os.environ["RAY_ADDRESS"].strip(), f"RAY_ADDRESS={os.environ['RAY_ADDRESS']}"
        if address is not None:
            _reachable(address, what)
        self.address, self.what = address, what
        self.embedded = address is None
        self.where = f"the Ray cluster at {address}" if address else "the local Ray cluster"
        self.startup_s: float | None = None  # seconds ray.init took
        self.on_progress: Callable[[list[RunConfig], int], None] | None = None

    def start(self) -> None:
        """Join the cluster, or start the local one (no dashboard, no usage report); once."""
        import ray

        if ray.is_initialized():
            return
        common = {
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": logging.ERROR,
            "runtime_env": {"env_vars": task_env()},
        }
        t0 = time.perf_counter()
        try:
            if self.embedded:
                os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # offline: no usage report
                ray.init(
                    address="local",
                    num_cpus=os.cpu_count(),
                    resources={RESOURCE: 1},
                    object_store_memory=LOCAL_OBJECT_STORE,
                    **common,
                )
            else:
                ray.init(address=self.address, **common)
        except Exception as exc:  # Ray's own errors: one line
            raise BenchError(f"{self.what}: Ray could not start or connect ({type(exc).__name__}: {exc})") from None
        self.startup_s = time.perf_counter() - t0

    # the cluster -------------------------------------------------------------------------------
    def nodes(self) -> list[dict]:
        import ray

        self.start()
        return [n for n in ray.nodes() if n.get("Alive")]

    def totals(self) -> dict:
        import ray

        self.start()
        return ray.cluster_resources()

    def available_devices(self) -> list[str]:
        return ["cpu", "gpu"] if self.totals().get("GPU", 0) >= 1 else ["cpu"]

    def check_device(self, device: str) -> None:
        if device not in DEVICES:
            raise BenchError(f"unknown device '{device}'; choose from: {choices(DEVICES + ('all',))}")
        if device != "cpu" and device not in self.available_devices():
            raise BenchError(
                f"--device {device}: {self.where} has no GPU (its nodes have CPUs only); add GPU nodes "
                "('ray start --num-gpus N ...' on each, docs/cluster.md), or run with --device cpu"
            )

    def check(self, cells: list[RunConfig]) -> None:
        """What the cells ask of the cluster, before the first starts: nodes with the node
        resource (a node without it gets no cell) and room there for the largest cell; else one
        line with the fix."""
        nodes = [n for n in self.nodes() if n.get("Resources", {}).get(RESOURCE, 0) >= 1]
        if not nodes:
            raise BenchError(
                f"{self.where}: no node has the resource '{RESOURCE}' that keeps a speed cell alone on its node; "
                f"start every node that is to run cells with --resources='{{\"{RESOURCE}\": 1}}' (docs/cluster.md)"
            )
        most = max((n.get("Resources", {}).get("CPU", 0) for n in nodes), default=0)
        big = max(cells, key=lambda c: c.threads, default=None)
        if big is not None and big.threads > most:
            raise BenchError(
                f"{big.label} asks for {big.threads} threads, but the largest node of {self.where} has {most:g} "
                "CPUs; give --threads at most that, or add larger nodes"
            )

    def capacity(self, cells: list[RunConfig]) -> int:
        """How many of these cells the cluster has room for at once (speed cells: one per node;
        quality-only: as the CPUs allow), at least 1. Only that many are handed to Ray at a
        time, so that what is running is known and the rest is queued here."""
        total = 0
        for node in self.nodes():
            res = node.get("Resources", {})
            if res.get(RESOURCE, 0) < 1:
                continue
            cpus = res.get("CPU", 0)
            if cells and cells[0].exclusive:
                total += 1
            else:
                total += int(cpus // max(1, min(c.threads for c in cells))) if cells else 0
        return max(1, total)

    def close(self) -> None:
        import ray

        if ray.is_initialized():
            ray.shutdown()  # an embedded cluster stops with it; a joined one stays up

    def _progress(self, running: list[RunConfig], queued: int) -> None:
        if self.on_progress is not None:
            self.on_progress(running, queued)

    # running -----------------------------------------------------------------------------------
    def run(self, cells: list[RunConfig], timeout_s: float) -> Iterator[tuple[RunConfig, Result]]:
        import ray

        self.start()
        task = _task()
        queue = list(cells)
        pending: dict = {}  # ObjectRef -> (cell, attempt, submitted at)
        room = self.capacity(cells)

        def submit(cell: RunConfig, attempt: int) -> None:
            pending[task.options(**options(cell)).remote(cell.to_json())] = (cell, attempt, time.perf_counter())

        try:
            while queue or pending:
                while queue and len(pending) < room:
                    submit(queue.pop(0), 1)
                self._progress([c for c, _, _ in pending.values()], len(queue))
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=WAIT_S)
                for ref in ready:
                    cell, attempt, t0 = pending.pop(ref)
                    result, lost = self._collect(ref, cell, attempt, time.perf_counter() - t0)
                    if lost and attempt <= matrix.LOST_RETRIES:  # runs again, first in line
                        submit(cell, attempt + 1)
                    yield cell, result
                now = time.perf_counter()
                for ref in [r for r, (_, _, t0) in pending.items() if now - t0 > timeout_s]:
                    cell, _, t0 = pending.pop(ref)
                    _cancel(ref)  # its worker is killed: the cell's process, as the local executor's
                    error = matrix.timeout_error(timeout_s)
                    yield cell, matrix.unfinished_result(cell, "timeout", error, wall_s=now - t0)
                if not ready:
                    room = self.capacity(cells)  # nodes may have joined or left
        finally:  # interrupted or closed early: what runs is cancelled, what is queued never starts
            for ref in pending:
                _cancel(ref)

    def _collect(self, ref, cell: RunConfig, attempt: int, wall: float) -> tuple[Result, bool]:
        """The task's Result, or the record of its loss. -> (result, lost)."""
        import ray

        try:
            return Result.from_dict(ray.get(ref)), False
        except ray.exceptions.RayTaskError as exc:  # the task's own code raised: a crash, not a loss
            status, error, lost = "crashed", f"the cell's Ray task failed: {_first_line(exc)}", False
        except ray.exceptions.TaskCancelledError:
            status, error, lost = "crashed", "the cell's Ray task was cancelled", False
        except ray.exceptions.RayError as exc:  # the worker or its node died
            what = "it runs again" if attempt <= matrix.LOST_RETRIES else "lost on its retry too; not retried again"
            why = f"{type(exc).__name__}: killed, its node lost, or the cell's own crash"
            status, error, lost = "lost", f"the Ray worker running it died ({why}); {what}", True
        result = matrix.unfinished_result(cell, status, error, wall_s=wall)
        return result, lost


def _cancel(ref) -> None:
    import ray

    try:
        ray.cancel(ref, force=True)
    except Exception:  # already ended, or its node is gone
        pass


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__
