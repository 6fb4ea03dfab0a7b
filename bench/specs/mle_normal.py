"""Maximum-likelihood regression with a fixed-scale Normal: Dense(1) -> Normal(loc, 1)."""

from bench.specs.families.mle import MLE, loader

SPEC = MLE.spec(
    "mle_normal",
    "Maximum-likelihood regression, Normal with fixed scale 1",
    hparams=dict(heteroscedastic=False, noise_std=3.0, scale=1.0),
    tolerances={
        "slope_err": 0.3,  # about 2.5 standard errors (se 0.10); docs/parity.md#mle
        "intercept_err": 1.5,  # about 2.5 standard errors (se 0.60); docs/parity.md#mle
        "ls_gap": 0.15,  # Adam circles the exact MLE by up to ~0.1; docs/parity.md#mle
    },
    load_data=loader(heteroscedastic=False),
    notes="Quality: mean negative log-likelihood on the data; slope and intercept of the mean.",
)
