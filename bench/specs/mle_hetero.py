"""Maximum-likelihood regression with a heteroscedastic Normal: Dense(2) ->
Normal(loc=z0, scale=1e-3 + softplus(0.3 * z1)), data noise std 0.5 x + 2."""

from bench.specs.base import Spec
from bench.specs.families import mle as _mle

SPEC = Spec(
    name="mle_hetero",
    title="Maximum-likelihood regression, heteroscedastic Normal",
    kind="supervised",
    source="seed 000, Bayes Theorem, maximum likelihood estimation and TensorFlow Probability",
    hparams=dict(_mle.HPARAMS, heteroscedastic=True, noise_std=2.0, noise_slope=0.5, min_scale=1e-3, scale_factor=0.3),
    # Tuned budget, labelled as such: the document's 500 epochs do not converge from every
    # Glorot draw. When the initial scale is tiny (softplus of a negative z1), the first NLL
    # gradients are ~1e5 and Adam's second moment (beta2 = 0.999) keeps later steps small for
    # thousands of steps; 3000 epochs recover both the line and the growing std.
    budgets={"quick": dict(epochs=1000, eval_every=100), "full": dict(epochs=3000, eval_every=100)},
    metric="nll",
    higher_is_better=False,
    # The weighted least-squares fit has standard errors ~0.15 (slope) and ~0.45 (intercept).
    # sgd_loss_rtol: 10 plain-SGD steps, every backend against the float64 numpy reference, in
    # tests/test_generated.py: measured 1.3e-7. own_loss_rtol: 20 steps of the spec's Adam at lr 0.05 on 20
    # consecutive batches: measured 2.1e-5 in every backend (float32 against float64).
    tolerances={
        "slope_err": 0.4,
        "intercept_err": 1.2,
        "ls_gap": 0.25,
        "predict_atol": 1e-5,
        "loss_rtol": 1e-4,
        "sgd_loss_rtol": 1e-5,
        "own_loss_rtol": 5e-5,
    },
    init=_mle.INIT,
    impl="mle",
    load_data=_mle.loader(heteroscedastic=True),
    evaluate=_mle.evaluate,
    notes="Quality: mean NLL; slope/intercept of the mean; predicted std at x=1 and x=9 "
    "(the data's std grows from 2.5 to 6.5).",
)
