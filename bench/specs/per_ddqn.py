"""Double DQN with proportional prioritized replay (seed 002, Algorithm 1: alpha = 0.6,
beta annealed linearly from 0.4 to 1 over the run, importance weights normalised by their max,
new transitions at the maximal priority).

``per_ddqn`` runs the tuned settings on CartPole-v1; ``per_ddqn_doc`` the documented settings on
CartPole-v0."""

from bench.specs.families.rl import CARTPOLE, TUNED_Q, pair

DOCUMENTED = dict(
    CARTPOLE, target_mode="double", target_update="soft", tau=0.08, prioritized=True, per_alpha=0.6, per_beta0=0.4
)
TUNED = dict(TUNED_Q, target_update="hard")

SPECS = pair(
    "per_ddqn",
    "Prioritized-replay Double DQN, CartPole-v1, tuned",
    "Prioritized-replay Double DQN, CartPole-v0, documented settings",
    "seed 002 prioritized experience replay; seed 000 Double Q",
    DOCUMENTED,
    TUNED,
)
