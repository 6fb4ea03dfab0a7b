"""DQN on CartPole: the Double Q document's network and loop with ``double_q = False``.

Tuned for CartPole-v1; the documented settings are the spec ``dqn_doc``."""

from bench.specs._rl import CARTPOLE, TUNED_Q, make

DOCUMENTED = dict(CARTPOLE)
# plain DQN as seed 002's decks run it: a target network copied every N updates
TUNED = dict(TUNED_Q, target_mode="target", target_update="hard")

SPEC = make("dqn", "DQN (target network, hard copy every 200 updates), CartPole-v1, tuned", "seed 000, Double Q reinforcement learning (TensorFlow 2 code constants); seed 002, DQN with experience replay", DOCUMENTED, TUNED, impl="dqn")
