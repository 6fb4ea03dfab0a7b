"""A CPU probe for load normalisation on shared machines.

A cell run with ``RunConfig(probe=True)`` times a fixed single-threaded piece of Python work at every
evaluation (outside the training clock). Dividing each timed round's speed by the probes around
it cancels most of the effect of other jobs on the machine: a busy machine slows the probe and
the round alike, a slower train step slows only the round. ``bench compare`` judges speed on
these normalised rounds whenever both sides carry them (``throughput["normalized"]``).
"""

from __future__ import annotations

import time

PROBE_WORK, PROBE_REPS = 40_000, 3


def cpu_probe() -> float:
    """Speed of a fixed single-threaded piece of Python work (loop iterations per second)."""
    rates = []
    for _ in range(PROBE_REPS):
        t0 = time.perf_counter()
        acc = 0
        for i in range(PROBE_WORK):
            acc += i * i
        rates.append(PROBE_WORK / (time.perf_counter() - t0))
    return sorted(rates)[len(rates) // 2]


def normalise(rates: list, probes: list) -> list:
    """Each round's speed divided by the probes around it. The drivers evaluate once before
    training and after every round, so round i lies between probes i and i+1."""
    if not rates or not probes:
        return []
    if len(probes) == len(rates) + 1:
        around = [(probes[i] + probes[i + 1]) / 2 for i in range(len(rates))]
    elif len(probes) == len(rates):
        around = list(probes)
    else:
        mid = sorted(probes)[len(probes) // 2]
        around = [mid] * len(rates)
    return [r / p for r, p in zip(rates, around, strict=True)]
