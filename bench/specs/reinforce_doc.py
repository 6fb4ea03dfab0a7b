"""REINFORCE on CartPole, the Policy Gradient document (seed 000; seed 001 is the same algorithm
with a 32-unit layer): dense 30-30 he_normal + softmax, one Adam step per episode on
-mean_t G_t log pi(a_t | s_t) with normalised discounted returns, gamma = 0.95.

Documented settings on CartPole-v0; the tuned CartPole-v1 variant is ``reinforce``."""

from bench.specs._rl import make
from bench.specs.reinforce import DOCUMENTED

SPEC = make("reinforce_doc", "REINFORCE, CartPole-v0, documented settings", "seed 000 Policy Gradient Reinforcement Learning; seed 001 REINFORCE", DOCUMENTED, impl="reinforce")
