"""The local executor: each cell in its own subprocess on this machine (:func:`bench.matrix.run_one`),
one after another, or ``jobs`` at a time for runs that measure quality only."""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Callable, Iterator

from bench import backends, matrix
from bench.config import RunConfig
from bench.results import Result


class LocalExecutor:
    name = "local"

    def __init__(self, jobs: int = 1):
        self.jobs = int(jobs)
        self.on_progress: Callable[[list[RunConfig], int], None] | None = None
        self.where = "this machine"

    # the devices a run may ask for: this machine's
    def available_devices(self) -> list[str]:
        return backends.available_devices()

    def check_device(self, device: str) -> None:
        backends.check_device(device)

    def check(self, cells: list[RunConfig]) -> None:
        """Nothing to check beyond the devices (checked when the cells were built)."""

    def close(self) -> None:
        pass

    def _progress(self, running: list[RunConfig], queued: int) -> None:
        if self.on_progress is not None:
            self.on_progress(running, queued)

    def run(self, cells: list[RunConfig], timeout_s: float) -> Iterator[tuple[RunConfig, Result]]:
        if self.jobs == 1:
            for i, cell in enumerate(cells):
                self._progress([cell], len(cells) - i - 1)
                yield cell, matrix.run_one(cell, timeout_s)
            return
        queue, pending = list(cells), {}
        pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="bench-cell")
        try:
            while queue or pending:
                while queue and len(pending) < self.jobs:
                    cell = queue.pop(0)
                    pending[pool.submit(matrix.run_one, cell, timeout_s)] = cell
                self._progress(list(pending.values()), len(queue))
                ended = set()
                while not ended:  # a timeout, so that Ctrl-C is seen at once
                    ended, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in [f for f in pending if f in ended]:  # in the order they were started
                    yield pending.pop(future), future.result()
        finally:  # interrupted or closed early: the cells still running go down, the queued never start
            matrix.stop_running()
            pool.shutdown(wait=True, cancel_futures=True)
