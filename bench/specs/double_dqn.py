"""Double DQN with a soft target update (tau = 0.08 every update), as the Double Q document.

``double_dqn`` runs the tuned settings on CartPole-v1 (tau = 0.005); ``double_dqn_doc`` the
documented settings on CartPole-v0."""

from bench.specs.families.rl import pair

SPECS = pair(
    "double_dqn",
    "Double DQN, soft target update (tau=0.005 tuned; 0.08 documented), CartPole-v1, tuned",
    "Double DQN, soft target update tau=0.08, CartPole-v0, documented settings",
    documented=dict(target_mode="double", target_update="soft"),  # tau 0.08: the family's
)
