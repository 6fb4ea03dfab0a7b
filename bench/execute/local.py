"""The local executor: each cell in its own subprocess on this machine (:func:`bench.execute.matrix.spawn`),
one after another, or ``jobs`` at a time for runs that measure quality only."""

from __future__ import annotations

import threading
import time
from queue import Empty, SimpleQueue
from typing import Callable, Iterator

from bench.config import RunConfig
from bench.core import backends
from bench.execute import matrix
from bench.reporting.schema import Result

STOP_WAIT_S = 10.0  # how long a stop waits for the killed cells' threads to remove their temporary files


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
                yield cell, matrix.spawn(cell, timeout_s)
            return
        # Each running cell is waited for by a daemon thread, which hands its Result over a queue;
        # this thread only ever waits on the queue, so Ctrl-C is seen at once. A stop kills the
        # cells' processes and gives their threads a moment to tidy up (what they hand is dropped).
        queue, running, ended = list(cells), {}, SimpleQueue()
        started, threads = 0, []

        def wait_for(n: int, cell: RunConfig) -> None:
            try:
                ended.put((n, matrix.spawn(cell, timeout_s)))
            except BaseException as exc:  # handed over, raised here as it would be one at a time
                ended.put((n, exc))

        try:
            while queue or running:
                while queue and len(running) < self.jobs:
                    running[started] = cell = queue.pop(0)
                    threads.append(threading.Thread(target=wait_for, args=(started, cell), daemon=True))
                    threads[-1].start()
                    started += 1
                self._progress(list(running.values()), len(queue))
                try:
                    n, result = ended.get(timeout=0.5)
                except Empty:
                    continue
                cell = running.pop(n)
                if isinstance(result, BaseException):
                    raise result
                yield cell, result
        finally:  # interrupted or closed early: the cells still running go down, the queued never start
            matrix.stop_running()
            deadline = time.monotonic() + STOP_WAIT_S
            for thread in threads:
                thread.join(max(0.0, deadline - time.monotonic()))
