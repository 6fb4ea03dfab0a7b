"""DQN on CartPole: the Double Q document's network and loop with ``double_q = False``.

Documented settings on CartPole-v0; the tuned CartPole-v1 variant is ``dqn``."""

from bench.specs._rl import make
from bench.specs.dqn import DOCUMENTED

SPEC = make("dqn_doc", "DQN with replay, CartPole-v0, documented settings (bootstrap from the online network, as the Double Q document's DQN branch)", "seed 000, Double Q reinforcement learning (TensorFlow 2 code constants); seed 002, DQN with experience replay", DOCUMENTED, impl="dqn")
