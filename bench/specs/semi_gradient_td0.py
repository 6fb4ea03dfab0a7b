"""Semi-gradient TD(0) for estimating v_hat ~ v_pi (Sutton & Barto 2018, section 9.3; seed 002's
DQN deck): w <- w + alpha [R + gamma v_hat(S', w) - v_hat(S, w)] grad v_hat(S, w), v_hat(terminal)
= 0, no gradient through the target, on the 1000-state random walk with state aggregation
(Figure 9.2, left).

alpha = 1e-3. The book does not give the step size of Figure 9.2's left panel. TD's target
varies far less than MC's +-1 return, so a larger step is stable, and TD needs one: its value
information travels in from the edges one jump at a time. Measured on the numpy reference, seed 0
(results/recorded/value_prediction/td_step_size/ and plateau/, docs/value_prediction.md): at MC's
2e-5 VE is still 0.23 above the fixed point's after 40,000 episodes; 1e-4 comes within 0.01 at
72,000 episodes, 2e-4 at 36,000, 5e-4 at 14,000, 1e-3 at 7,000 and 2e-3 at 4,000, and every step
from 1e-4 to 2e-3 then stays within 0.012. 1e-3 is fast with half of 2e-3's step (the weights'
stationary noise grows with the step). Full budget: 20,000 episodes (1.7 million updates),
about 3x the time to the plateau (3 seeds within 0.01 by 7,000-8,000 episodes, plateau/). The
quick budget (400 episodes) uses alpha = 1e-2.
"""

from bench.specs.families.value import PREDICTION

SPEC = PREDICTION.spec(
    "semi_gradient_td0",
    "Semi-gradient TD(0) value prediction, 1000-state random walk, state aggregation",
    hparams=dict(method="semi_gradient_td0", lr=1e-3, episodes=20000),
    budgets={"quick": dict(episodes=400, eval_every=50, lr=1e-2, latency_updates=50)},
    notes="Quality: VE (RMS, on-policy weighted) against v_pi; ve_gap = VE - VE of the TD fixed "
    "point (A w = b, solved in numpy); target 0.02.",
)
