"""DQN on CartPole: the Double Q document's network and loop with ``double_q = False``.

``dqn`` runs the tuned settings on CartPole-v1 (a target network copied every 200 updates, as
seed 002's decks run plain DQN); ``dqn_doc`` the documented settings on CartPole-v0 (bootstrap
from the online network, as the Double Q document's DQN branch)."""

from bench.specs.families.rl import pair

SPECS = pair(
    "dqn",
    "DQN (target network, hard copy every 200 updates), CartPole-v1, tuned",
    "DQN with replay, CartPole-v0, documented settings (bootstrap from the online network, as the Double Q "
    "document's DQN branch)",
    tuned=dict(target_mode="target", target_update="hard"),
)
