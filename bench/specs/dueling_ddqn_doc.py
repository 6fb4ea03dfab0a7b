"""Dueling Double DQN on CartPole, the Dueling Q document: dense 30-30 trunk, value and
advantage streams of 30 units, mean aggregation (max as the option ``dueling_agg=max``), linear
epsilon after DELAY_TRAINING = 300 over EPSILON_MIN_ITER = 5000 steps, memory 500000.

Documented settings on CartPole-v0; the tuned CartPole-v1 variant is ``dueling_ddqn``."""

from bench.specs._rl import make
from bench.specs.dueling_ddqn import DOCUMENTED

SPEC = make("dueling_ddqn_doc", "Dueling Double DQN (mean aggregation), CartPole-v0, documented settings", "seed 000 Dueling Q networks; seed 002 Dueling DQN", DOCUMENTED, impl="dqn")
