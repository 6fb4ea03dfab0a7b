"""Canonical initial weights, generated in numpy so every backend starts from the same numbers.

The harness builds a learner, reads the names and shapes of its canonical weights, draws the
initial values here and sets them into the learner. Frameworks' own initialisers (which differ:
Keras uses Glorot-uniform kernels, PyTorch Kaiming-uniform) therefore never decide a result.
"""

from __future__ import annotations

import fnmatch
import zlib
from typing import Any, Mapping

import numpy as np

from bench.core.errors import BenchError

# Used when the spec has no matching pattern: the Keras defaults.
DEFAULT_RULES: tuple[tuple[str, Any], ...] = (
    ("*kernel", "glorot_uniform"),
    ("*bias", "zeros"),
    ("*gamma", "ones"),
    ("*beta", "zeros"),
    ("*moving_mean", "zeros"),
    ("*moving_variance", "ones"),
)


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Fan-in and fan-out of a weight in the canonical layout ((in, out) or (h, w, in, out))."""
    if len(shape) < 2:
        n = int(shape[0]) if shape else 1
        return n, n
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return int(shape[-2]) * receptive, int(shape[-1]) * receptive


def draw(rule: Any, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """One initializer: a name, a number (constant) or a ("name", arg) pair."""
    if isinstance(rule, (int, float)):
        return np.full(shape, float(rule), dtype=np.float32)
    name, arg = rule if isinstance(rule, (tuple, list)) else (rule, None)
    fan_in, fan_out = fans(shape)
    if name == "zeros":
        out = np.zeros(shape)
    elif name == "ones":
        out = np.ones(shape)
    elif name == "constant":
        out = np.full(shape, float(arg))
    elif name == "glorot_uniform":
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        out = rng.uniform(-limit, limit, shape)
    elif name == "he_normal":  # Keras: truncated normal, stddev sqrt(2 / fan_in), cut at 2 stddev
        out = _truncated_normal(rng, np.sqrt(2.0 / fan_in) / 0.87962566103423978, shape)
    elif name == "he_uniform":
        limit = np.sqrt(6.0 / fan_in)
        out = rng.uniform(-limit, limit, shape)
    elif name == "normal":
        out = rng.normal(0.0, 0.05 if arg is None else float(arg), shape)
    else:
        raise BenchError(f"unknown initializer '{name}'")
    return np.asarray(out, dtype=np.float32)


def _truncated_normal(rng: np.random.Generator, std: float, shape) -> np.ndarray:
    out = rng.normal(0.0, 1.0, shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.normal(0.0, 1.0, int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out * std


def rule_for(name: str, rules: Mapping[str, Any]) -> Any:
    for pattern, rule in list(rules.items()) + list(DEFAULT_RULES):
        if fnmatch.fnmatchcase(name, pattern):
            return rule
    raise BenchError(f"no initializer for weight '{name}'; add a pattern to the spec's init")


def initial_weights(
    shapes: Mapping[str, tuple[int, ...]],
    seed: int,
    rules: Mapping[str, Any] | None = None,
    hp: Mapping[str, Any] | None = None,
):
    """Deterministic initial weights for every canonical name; each weight has its own RNG
    stream (seed, name), so adding a layer does not change the others' values. A rule
    ``("hp", key)`` is the constant ``hp[key]``."""
    out = {}
    for name, shape in shapes.items():
        rule = rule_for(name, rules or {})
        if isinstance(rule, (tuple, list)) and rule[0] == "hp":
            rule = float((hp or {})[rule[1]])
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        out[name] = draw(rule, tuple(shape), rng)
    return out
