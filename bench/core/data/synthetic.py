"""The small synthetic regression sets of the source documents, generated from a data seed."""

from __future__ import annotations

import numpy as np

from bench.core.data.base import SupervisedData


def linear(n: int, slope: float, intercept: float, noise_std: float, seed: int) -> SupervisedData:
    """Seed 002: x = 0..n-1, y = slope*x + intercept + N(0, noise_std)."""
    rng = np.random.default_rng(seed)
    x = np.arange(n, dtype=np.float32)
    y = (slope * x + intercept + rng.normal(0.0, noise_std, n)).astype(np.float32)
    w, b = np.polyfit(x.astype(np.float64), y.astype(np.float64), 1)
    mse = float(np.mean((w * x + b - y) ** 2))
    return SupervisedData(
        x,
        y,
        x,
        y,
        name=f"synthetic linear (n={n}, seed={seed})",
        extra={"closed_form": (float(w), float(b)), "closed_form_mse": mse},
    )


def mle(
    heteroscedastic: bool, slope: float, intercept: float, noise_std: float, noise_slope: float, seed: int
) -> SupervisedData:
    """Seed 000: x = 0, 0.1, ..., 9.9; y = slope*x + intercept + N(0, s(x)) with
    s(x) = noise_std (fixed) or noise_slope*x + noise_std (heteroscedastic)."""
    rng = np.random.default_rng(seed)
    x = np.arange(0.0, 10.0, 0.1).astype(np.float32)
    std = noise_slope * x + noise_std if heteroscedastic else np.full_like(x, noise_std)
    y = (slope * x + intercept + rng.normal(0.0, 1.0, len(x)) * std).astype(np.float32)
    # the exact MLE of the line: ordinary (fixed scale) or weighted (known scales) least squares
    wts = 1.0 / std.astype(np.float64) ** 2
    a = np.stack([x, np.ones_like(x)], 1).astype(np.float64)
    coef = np.linalg.solve(a.T @ (a * wts[:, None]), a.T @ (wts * y))
    kind = "heteroscedastic" if heteroscedastic else "fixed-scale"
    return SupervisedData(
        x[:, None],
        y,
        x[:, None],
        y,
        name=f"synthetic {kind} line (n=100, seed={seed})",
        extra={"least_squares": (float(coef[0]), float(coef[1])), "true_std": std},
    )
