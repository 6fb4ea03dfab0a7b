"""REINFORCE on CartPole, the Policy Gradient document (seed 000; seed 001 is the same algorithm
with a 32-unit layer): dense 30-30 he_normal + softmax, one Adam step per episode on
-mean_t G_t log pi(a_t | s_t) with normalised discounted returns, gamma = 0.95.

``reinforce`` runs the tuned settings on CartPole-v1; ``reinforce_doc`` the documented settings
on CartPole-v0."""

from bench.specs.families.rl import REINFORCE, pair

SPECS = pair(
    "reinforce",
    "REINFORCE, CartPole-v1, tuned",
    "REINFORCE, CartPole-v0, documented settings",
    source="seed 000 Policy Gradient Reinforcement Learning; seed 001 REINFORCE",
    documented=dict(reward_noise_std=0.0),
    family=REINFORCE,
)
