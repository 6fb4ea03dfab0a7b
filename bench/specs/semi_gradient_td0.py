"""Semi-gradient TD(0) for estimating v_hat ~ v_pi (Sutton & Barto 2018, section 9.3; seed 002's
DQN deck): w <- w + alpha [R + gamma v_hat(S', w) - v_hat(S, w)] grad v_hat(S, w), v_hat(terminal)
= 0, no gradient through the target, on the 1000-state random walk with state aggregation
(Figure 9.2, left).

alpha = 1e-3. The book does not give the step size of Figure 9.2's left panel. TD's target
varies far less than MC's +-1 return, so a larger step stays stable, and TD needs one: its
value information travels from the edges one jump at a time, so at MC's 2e-5 it is far from its
fixed point after 100,000 episodes, and at 1e-4 it needs about 90,000 (numpy reference, seed 0).
Measured on the numpy reference (seeds 0-1): alpha = 1e-3 reaches the fixed point's VE within
0.01 by about 10,000 episodes and then fluctuates within +-0.01 of it; 2e-3 is faster but
fluctuates more (down to -0.012), 5e-4 needs 20,000 episodes. The full budget is 20,000
episodes (1.7 million updates), twice the measured time to the plateau. The quick budget (400
episodes) uses alpha = 1e-2.
"""

from bench.specs._value import make_spec

SPEC = make_spec(
    "semi_gradient_td0",
    "Semi-gradient TD(0) value prediction, 1000-state random walk, state aggregation",
    lr=1e-3,
    episodes=20000,
    quick=dict(episodes=400, eval_every=50, lr=1e-2, latency_updates=50),
    target_note="Quality: VE (RMS, on-policy weighted) against v_pi; ve_gap = VE - VE of the TD fixed "
    "point (A w = b, solved in numpy); target 0.02.",
)
