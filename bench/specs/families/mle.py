"""Shared pieces of the two maximum-likelihood regression specs (seed 000, "Bayes Theorem,
maximum likelihood estimation and TensorFlow Probability")."""

import numpy as np

from bench.core.data.synthetic import mle
from bench.specs.base import KERAS_ADAM, SUPERVISED


def loader(heteroscedastic):
    def load_data(hp, seed):
        return mle(
            heteroscedastic,
            hp["true_slope"],
            hp["true_intercept"],
            hp["noise_std"],
            hp.get("noise_slope", 0.0),
            hp["data_seed"],
        )

    return load_data


def evaluate(learner, data, hp):
    """predict(x) returns columns (mean, stddev) of the predicted Normal."""
    pred = learner.predict(data.x_eval).astype(np.float64)
    mean, std = pred[:, 0], pred[:, 1]
    y = data.y_eval.astype(np.float64)
    nll = np.mean(np.log(std) + 0.5 * np.log(2 * np.pi) + 0.5 * ((y - mean) / std) ** 2)
    probe = learner.predict(np.array([[0.0], [1.0], [9.0]], dtype=np.float32)).astype(np.float64)
    slope, intercept = probe[1, 0] - probe[0, 0], probe[0, 0]
    ls_slope, ls_intercept = data.extra["least_squares"]
    return {
        "nll": float(nll),
        "slope": float(slope),
        "intercept": float(intercept),
        "slope_err": float(abs(slope - hp["true_slope"])),
        "intercept_err": float(abs(intercept - hp["true_intercept"])),
        "ls_gap": float(max(abs(slope - ls_slope), abs(intercept - ls_intercept))),
        "std_at_1": float(probe[1, 1]),
        "std_at_9": float(probe[2, 1]),
    }


# The family: the document's data, model and optimizer; a member states its Normal and what differs.
MLE = SUPERVISED.extend(
    source="seed 000, Bayes Theorem, maximum likelihood estimation and TensorFlow Probability",
    hparams=dict(
        true_slope=2.0,
        true_intercept=3.0,
        data_seed=0,
        lr=0.05,
        **KERAS_ADAM,
        epochs=500,
        batch_size=32,
        shuffle=True,
        eval_every=25,
    ),
    budgets={"quick": dict(epochs=150, eval_every=15), "full": {}},
    metric="nll",
    higher_is_better=False,
    # every figure and how it was measured: docs/parity.md#mle
    tolerances={
        "predict_atol": 1e-5,
        "loss_rtol": 1e-4,
        "sgd_loss_rtol": 1e-5,  # measured 1.3e-7 (both specs); docs/parity.md#mle
        "own_loss_rtol": 5e-5,  # measured 1.1e-5 (mle_normal), 2.1e-5 (mle_hetero); docs/parity.md#mle
    },
    # Glorot-uniform kernel and zero bias: the Keras Dense defaults the document relied on.
    init={"dense/kernel": "glorot_uniform", "dense/bias": "zeros"},
    impl="mle",
    evaluate=evaluate,
)
