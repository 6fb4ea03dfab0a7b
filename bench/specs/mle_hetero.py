"""Maximum-likelihood regression with a heteroscedastic Normal: Dense(2) ->
Normal(loc=z0, scale=1e-3 + softplus(0.3 * z1)), data noise std 0.5 x + 2."""

from bench.specs.families.mle import MLE, loader

SPEC = MLE.spec(
    "mle_hetero",
    "Maximum-likelihood regression, heteroscedastic Normal",
    hparams=dict(heteroscedastic=True, noise_std=2.0, noise_slope=0.5, min_scale=1e-3, scale_factor=0.3),
    # Tuned budget, labelled as such: the document's 500 epochs do not converge from every
    # Glorot draw. When the initial scale is tiny (softplus of a negative z1), the first NLL
    # gradients are ~1e5 and Adam's second moment (beta2 = 0.999) keeps later steps small for
    # thousands of steps; 3000 epochs recover both the line and the growing std.
    budgets={"quick": dict(epochs=1000, eval_every=100), "full": dict(epochs=3000, eval_every=100)},
    tolerances={
        "slope_err": 0.4,  # weighted least-squares standard error ~0.15; docs/parity.md#mle
        "intercept_err": 1.2,  # weighted least-squares standard error ~0.45; docs/parity.md#mle
        "ls_gap": 0.25,
    },
    load_data=loader(heteroscedastic=True),
    notes="Quality: mean NLL; slope/intercept of the mean; predicted std at x=1 and x=9 "
    "(the data's std grows from 2.5 to 6.5).",
)
