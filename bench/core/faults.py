"""Fault injection for testing the harness itself (never set in real runs).

``BENCH_FAULT`` holds comma-separated ``kind[:scope][=arg][@step]`` items, for example
``slow:torch=0.002`` or ``nan@10,crash:keras@50``. ``crash`` kills the process, ``hang``
sleeps forever, ``nan`` makes the loss NaN, ``slow=SECONDS`` sleeps in every train step,
``slowdown=FRACTION`` makes every train step that much slower (it spins for that fraction of the
step's own time after it: the regression gate's injected slowdown, ``bench gate
--inject-slowdown``).
``scope`` (written after the colon) limits the fault to one backend or one algorithm;
``@step`` fires it from that train step on (default 0).
"""

from __future__ import annotations

import os
import signal
import time


def parse(spec: str | None):
    faults = []
    for item in (spec or "").split(","):
        item = item.strip()
        if not item:
            continue
        item, _, step = item.partition("@")
        kind, _, arg = item.partition("=")
        kind, _, backend = kind.partition(":")
        faults.append((kind, backend or None, float(arg) if arg else 0.0, int(step or 0)))
    return faults


def wrap(train_step, backend: str, algo: str | None = None):
    """Wrap a learner's train_step with the faults that apply to ``backend`` or ``algo``."""
    faults = [f for f in parse(os.environ.get("BENCH_FAULT")) if f[1] in (None, backend, algo)]
    if not faults:
        return train_step
    count = [0]

    def step(x, y):
        n = count[0]
        count[0] += 1
        t0 = time.perf_counter()
        loss = train_step(x, y)
        took = time.perf_counter() - t0
        for kind, _, arg, start in faults:
            if n < start:
                continue
            if kind == "crash":
                os.kill(os.getpid(), signal.SIGKILL)
            elif kind == "hang":
                time.sleep(10**6)
            elif kind == "nan":
                loss = float("nan")
            elif kind == "slow":
                time.sleep(arg)
            elif kind == "slowdown":  # spin, not sleep: exact at microseconds
                until = time.perf_counter() + arg * took
                while time.perf_counter() < until:
                    pass
        return loss

    return step
