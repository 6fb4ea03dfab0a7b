"""Double DQN with a hard target copy every N updates (the other option the Double Q document
describes; N is not given there: 500 is chosen here).

Documented settings on CartPole-v0; the tuned CartPole-v1 variant is ``double_dqn_hard``."""

from bench.specs._rl import make
from bench.specs.double_dqn_hard import DOCUMENTED

SPEC = make("double_dqn_hard_doc", "Double DQN, hard target copy every 500 updates, CartPole-v0, documented settings", "seed 000, Double Q reinforcement learning (TensorFlow 2 code constants); seed 002, DQN with experience replay", DOCUMENTED, impl="dqn")
