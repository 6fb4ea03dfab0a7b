"""Exploration and importance-sampling schedules, as functions of the global env step."""

from __future__ import annotations

import math

from bench.core.errors import BenchError


def exponential_epsilon(step: int, eps_max: float, eps_min: float, decay: float) -> float:
    """eps = min + (max - min) * exp(-decay * step) (the Double Q document, LAMBDA = 0.0005)."""
    return eps_min + (eps_max - eps_min) * math.exp(-decay * step)


def linear_epsilon(step: int, eps_max: float, eps_min: float, delay: int, min_iter: int) -> float:
    """Held at ``eps_max`` for the first ``delay`` steps, then linear down to ``eps_min`` over
    ``min_iter`` steps, then constant (the Dueling Q document's DELAY_TRAINING, EPSILON_MIN_ITER;
    the document's code stops at step EPSILON_MIN_ITER, a small off-by-delay that is not kept)."""
    if step <= delay:
        return eps_max
    frac = min(1.0, (step - delay) / max(1, min_iter))
    return eps_max - frac * (eps_max - eps_min)


def linear(step: int, start: float, end: float, steps: int) -> float:
    """From ``start`` to ``end`` linearly over ``steps`` steps, then ``end`` (PER's beta)."""
    return end if steps <= 0 else start + min(1.0, step / steps) * (end - start)


def epsilon_schedule(hp):
    """The spec's schedule as a function step -> epsilon."""
    kind = hp["eps_schedule"]
    if kind == "exponential":
        return lambda s: exponential_epsilon(s, hp["eps_max"], hp["eps_min"], hp["eps_decay"])
    if kind == "linear":
        return lambda s: linear_epsilon(s, hp["eps_max"], hp["eps_min"], hp["learn_start"], hp["eps_steps"])
    raise BenchError(f"unknown eps_schedule '{kind}'; choose from: exponential, linear")
