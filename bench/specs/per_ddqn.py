"""Double DQN with proportional prioritized replay (seed 002, Algorithm 1: alpha = 0.6,
beta annealed linearly from 0.4 to 1 over the run, importance weights normalised by their max,
new transitions at the maximal priority).

``per_ddqn`` runs the tuned settings on CartPole-v1; ``per_ddqn_doc`` the documented settings on
CartPole-v0."""

from bench.specs.families.rl import pair

SPECS = pair(
    "per_ddqn",
    "Prioritized-replay Double DQN, CartPole-v1, tuned",
    "Prioritized-replay Double DQN, CartPole-v0, documented settings",
    source="seed 002 prioritized experience replay; seed 000 Double Q",
    # tau 0.08, per_alpha 0.6 and per_beta0 0.4: the family's
    documented=dict(target_mode="double", target_update="soft", prioritized=True),
    tuned=dict(target_update="hard"),
)
