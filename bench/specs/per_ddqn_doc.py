"""Double DQN with proportional prioritized replay (seed 002, Algorithm 1: alpha = 0.6,
beta annealed linearly from 0.4 to 1 over the run, importance weights normalised by their max,
new transitions at the maximal priority).

Documented settings on CartPole-v0; the tuned CartPole-v1 variant is ``per_ddqn``."""

from bench.specs._rl import make
from bench.specs.per_ddqn import DOCUMENTED

SPEC = make("per_ddqn_doc", "Prioritized-replay Double DQN, CartPole-v0, documented settings", "seed 002 prioritized experience replay; seed 000 Double Q", DOCUMENTED, impl="dqn")
