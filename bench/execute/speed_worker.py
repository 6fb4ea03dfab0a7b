"""One configuration's persistent worker for ``bench speed``: ``python -m bench.execute.speed_worker IN OUT``.

The parent (:mod:`bench.execute.side_by_side`) starts one such process per configuration, with the Python
interpreter and the checkout of that configuration (``python -m bench.execute.speed_worker IN OUT BACKEND
ENGINE``: it imports its framework at once, while the parent sets up the others), and talks to it over two pipes (file
descriptors ``IN`` and ``OUT``), one JSON object a line; the frameworks' own output goes to the
process's stdout and stderr, which the parent sends to a log file.

* ``{"cmd": "setup", "cell": RunConfig JSON, "cpus": [...], "warmup_s": s}``: pin every thread of
  the process to ``cpus`` (those the framework's import started, and so every later one), build
  the cell's learner and data exactly as a ``bench run`` cell does (:func:`bench.train.runner.prepare`:
  the spec's resolved settings, the canonical initial weights, the backend's threads, mode and
  precision), slice a pool of
  full-size training batches in the seeded order, time the first train step alone (trace and
  compile: ``compile_s``) and warm up for ``warmup_s`` seconds. Reply: ``compile_s``, the
  warm-up's median step time, the batch size and the config card (library versions, threads,
  compile mode, machine).
* ``{"cmd": "round", "steps": n}``: ``n`` train steps on the next batches of the pool, sliced
  before the clock, timed between two synchronisations (:func:`bench.train.tracking.timed_loop`,
  the supervised driver's own loop). Reply: seconds, samples, the time inside the train steps and
  the loop's (the harness's overhead is the rest), and the last loss.
* ``{"cmd": "quit"}``: leave at once.

A failure is a reply ``{"error": ...}`` (the worker then leaves); a worker that dies replies
nothing, and the parent records its configuration as failed.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import traceback

import numpy as np

from bench.config import RunConfig
from bench.core import faults
from bench.core.backends import select_engine
from bench.core.errors import BenchError
from bench.train import measurements
from bench.train.tracking import joined, timed_loop

POOL = 64  # full-size batches sliced once and cycled through: the same data every round


class Worker:
    def __init__(self, message: dict):
        from bench.train import runner

        cell = RunConfig.from_json(message["cell"])
        if message.get("cpus"):
            pin(message["cpus"])
        if cell.backend == "keras":  # Keras reads its engine once, when first imported
            select_engine(cell.engine)
        measure = message.get("measure")
        if cell.spec.kind != "supervised" and measure is None:
            raise BenchError(f"{cell.algo} is a {cell.spec.kind} spec; bench speed times supervised train steps")
        self.cell = cell
        p = runner.prepare(cell)
        self.sync, self.data = p.session.sync, p.data
        n = int(p.data.n_train)
        self.batch = int(p.hp.get("batch_size") or n)
        order = np.random.default_rng(cell.seed).permutation(n)
        starts = range(0, n - self.batch + 1, self.batch)  # full batches only: one shape, no retrace
        self.pool = [
            (p.data.x_train[order[i : i + self.batch]], p.data.y_train[order[i : i + self.batch]]) for i in starts
        ]
        self.pool = self.pool[:POOL]
        self.next = 0
        self.step = faults.wrap(p.learner.train_step, cell.backend, cell.algo)
        self.many = p.learner.train_steps  # the idiom that trains many steps a call (Keras's fit), or None
        self.units = self.batch  # work units of one timed call: samples of a train step
        if measure is not None:  # a kind of measurement that is a rate (bench.train.measurements): its calls
            call, self.units = measurements.get(measure, cell.spec.kind, rate=True).rate(runner.context(p))
            self.step, self.many, self.pool = (lambda *_: call()), None, [()]
        self.card = runner.card_of(cell, p)
        # the first step alone: trace and compile
        fn, calls = self._calls(self._batches(1))
        self.sync()
        t0 = time.perf_counter()
        np.asarray(fn(*calls[0]), np.float64)  # the loss (or the steps' losses): waits for the step
        self.sync()
        self.compile_s = time.perf_counter() - t0
        # warm-up: until warmup_s has passed, and at least 3 steps
        times, end = [], time.perf_counter() + float(message.get("warmup_s", 1.0))
        while len(times) < 3 or time.perf_counter() < end:
            _, t, _, _ = timed_loop(*self._calls(self._batches(1)))
            times.append(t[0])
        self.sync()
        self.step_s = float(np.median(times))

    def _batches(self, n: int) -> list:
        out = [self.pool[(self.next + i) % len(self.pool)] for i in range(n)]
        self.next = (self.next + n) % len(self.pool)
        return out

    def _calls(self, batches: list) -> tuple:
        """(function, its argument tuples) that run ``batches``: one train step each, or for
        ``train_steps`` one call on them all, concatenated in order."""
        if self.many is None:
            return self.step, batches
        return self.many, [(*joined(batches), self.batch)]

    def ready(self) -> dict:
        return {
            "compile_s": self.compile_s,
            "step_s": self.step_s,
            "batch": self.batch,
            "card": self.card.to_dict(),
            "pid": os.getpid(),
        }

    def round(self, steps: int) -> dict:
        fn, calls = self._calls(self._batches(steps))  # sliced before the clock
        self.sync()
        t0 = time.perf_counter()
        values, _, inside, loop = timed_loop(fn, calls)
        self.sync()
        seconds = time.perf_counter() - t0
        loss = float(np.ravel(values[-1])[-1])
        return {
            "seconds": seconds,
            "samples": steps * self.units,
            "inside": inside,
            "loop": loop,
            "loss": loss if math.isfinite(loss) else str(loss),
        }


def serve(inp, out) -> int:
    def reply(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    worker = None
    for line in inp:
        msg = json.loads(line)
        try:
            if msg["cmd"] == "quit":
                return 0
            if msg["cmd"] == "setup":
                worker = Worker(msg)
                reply(worker.ready())
            elif msg["cmd"] == "round":
                reply(worker.round(int(msg["steps"])))
            else:
                reply({"error": f"unknown command {msg['cmd']!r}"})
                return 2
        except Exception as exc:  # the parent records the configuration as failed, with this
            reply({"error": f"{type(exc).__name__}: {exc}", "log": traceback.format_exc(limit=-6)})
            return 1
    return 0


def pin(cpus) -> None:
    """Pin every thread of this process to ``cpus`` (``sched_setaffinity`` of pid 0 pins only the
    calling thread); threads started later inherit it from the thread that starts them."""
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except (ProcessLookupError, PermissionError):  # a thread that has just ended
            pass


def preload(backend: str | None, engine: str | None) -> None:
    """Import the worker's framework while the parent sets up the other workers: the imports take
    seconds and are not measured, and they run unpinned, side by side on every core (the build,
    compile and warm-up wait for setup, which pins the process first)."""
    if backend == "keras":
        select_engine(engine)
        import keras  # noqa: F401
    elif backend == "tf":
        import tensorflow  # noqa: F401
    elif backend == "torch":
        import torch  # noqa: F401


def main(argv=None) -> int:
    args = list(argv or sys.argv[1:])
    fd_in, fd_out = int(args[0]), int(args[1])
    preload(*(args[2:4] + [None] * 2)[:2])
    with os.fdopen(fd_in, "r") as inp, os.fdopen(fd_out, "w") as out:
        return serve(inp, out)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # no framework teardown: nothing is left to keep
