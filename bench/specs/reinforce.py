"""REINFORCE on CartPole, the Policy Gradient document (seed 000; seed 001 is the same algorithm
with a 32-unit layer): dense 30-30 he_normal + softmax, one Adam step per episode on
-mean_t G_t log pi(a_t | s_t) with normalised discounted returns, gamma = 0.95.

Tuned for CartPole-v1; the documented settings are the spec ``reinforce_doc``."""

from bench.specs._rl import CARTPOLE, TUNED_PG, make

DOCUMENTED = dict(CARTPOLE, agent="reinforce", reward_noise_std=0.0, target_mode="online")
TUNED = dict(TUNED_PG)

SPEC = make("reinforce", "REINFORCE, CartPole-v1, tuned", "seed 000 Policy Gradient Reinforcement Learning; seed 001 REINFORCE", DOCUMENTED, TUNED, impl="reinforce")
