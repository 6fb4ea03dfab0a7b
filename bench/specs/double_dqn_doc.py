"""Double DQN with a soft target update (tau = 0.08 every update), as the Double Q document.

Documented settings on CartPole-v0; the tuned CartPole-v1 variant is ``double_dqn``."""

from bench.specs._rl import make
from bench.specs.double_dqn import DOCUMENTED

SPEC = make("double_dqn_doc", "Double DQN, soft target update tau=0.08, CartPole-v0, documented settings", "seed 000, Double Q reinforcement learning (TensorFlow 2 code constants); seed 002, DQN with experience replay", DOCUMENTED, impl="dqn")
