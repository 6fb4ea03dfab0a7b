"""Maximum-likelihood regression with a fixed-scale Normal: Dense(1) -> Normal(loc, 1)."""

from bench.specs.base import Spec
from bench.specs.families import mle as _mle

SPEC = Spec(
    name="mle_normal",
    title="Maximum-likelihood regression, Normal with fixed scale 1",
    kind="supervised",
    source="seed 000, Bayes Theorem, maximum likelihood estimation and TensorFlow Probability",
    hparams=dict(_mle.HPARAMS, heteroscedastic=False, noise_std=3.0, scale=1.0),
    budgets=_mle.BUDGETS,
    metric="nll",
    higher_is_better=False,
    # slope/intercept: about 2.5 standard errors of the least-squares fit for 100 points with
    # noise std 3 (se 0.10 and 0.60); ls_gap: distance to the exact MLE (least squares), which
    # Adam at a constant 0.05 on batches of 32 circles by up to ~0.1.
    # sgd_loss_rtol: 10 plain-SGD steps, every backend against the float64 numpy reference, in
    # tests/test_generated.py: measured 1.3e-7. own_loss_rtol: 20 steps of the spec's Adam at lr 0.05 on 20
    # consecutive batches: measured 1.1e-5 in every backend (float32 against float64).
    tolerances={
        "slope_err": 0.3,
        "intercept_err": 1.5,
        "ls_gap": 0.15,
        "predict_atol": 1e-5,
        "loss_rtol": 1e-4,
        "sgd_loss_rtol": 1e-5,
        "own_loss_rtol": 5e-5,
    },
    init=_mle.INIT,
    impl="mle",
    load_data=_mle.loader(heteroscedastic=False),
    evaluate=_mle.evaluate,
    notes="Quality: mean negative log-likelihood on the data; slope and intercept of the mean.",
)
