"""Gradient Monte Carlo for estimating v_hat ~ v_pi (Sutton & Barto 2018, section 9.3; seed 002's
DQN deck): w <- w + alpha [G_t - v_hat(S_t, w)] grad v_hat(S_t, w) for every step of every
episode, on the 1000-state random walk with state aggregation (Figure 9.1).

alpha = 2e-5 as in the book. Budget: the book runs 100,000 episodes. Measured on the numpy
reference, seeds 0-2, 100,000 episodes (results/recorded/value_prediction/plateau/,
docs/img/value_prediction_plateau.png): VE is within 0.02 of the MC optimum's VE from 30,000-31,000
episodes on and within 0.01 from 38,000-40,000 on, apart from brief excursions to 0.015 (seed 2,
near 63,000) and 0.011 (seed 0, near 94,000); the full budget is 60,000 episodes (5.0 million
updates), twice the time to 0.02, where the three seeds stand at +0.0014 to +0.0019. The quick
budget (400 episodes) learns with alpha = 1e-3, 50x the book's, so that VE drops visibly in
seconds (it is noisier: a smoke and learning check, not a figure).
"""

from bench.specs.families.value import PREDICTION

SPEC = PREDICTION.spec(
    "gradient_mc",
    "Gradient Monte Carlo value prediction, 1000-state random walk, state aggregation",
    hparams=dict(method="gradient_mc", lr=2e-5, episodes=60000),
    budgets={"quick": dict(episodes=400, eval_every=50, lr=1e-3, latency_updates=50)},
    notes="Quality: VE (RMS, on-policy weighted) against v_pi; ve_gap = VE - VE of the "
    "state-aggregation optimum (the mu-weighted group means of v_pi); target 0.02.",
)
