"""Double DQN with a soft target update (tau = 0.08 every update), as the Double Q document.

Tuned for CartPole-v1; the documented settings are the spec ``double_dqn_doc``."""

from bench.specs._rl import CARTPOLE, TUNED_Q, make

DOCUMENTED = dict(CARTPOLE, target_mode="double", target_update="soft", tau=0.08)
TUNED = dict(TUNED_Q)

SPEC = make("double_dqn", "Double DQN, soft target update (tau=0.005 tuned; 0.08 documented), CartPole-v1, tuned", "seed 000, Double Q reinforcement learning (TensorFlow 2 code constants); seed 002, DQN with experience replay", DOCUMENTED, TUNED, impl="dqn")
