"""Dueling Double DQN on CartPole, the Dueling Q document: dense 30-30 trunk, value and
advantage streams of 30 units, mean aggregation (max as the option ``dueling_agg=max``), linear
epsilon after DELAY_TRAINING = 300 over EPSILON_MIN_ITER = 5000 steps, memory 500000.

``dueling_ddqn`` runs the tuned settings on CartPole-v1; ``dueling_ddqn_doc`` the documented
settings on CartPole-v0."""

from bench.specs.families.rl import CARTPOLE, TUNED_Q, pair

DOCUMENTED = dict(
    CARTPOLE,
    target_mode="double",
    target_update="soft",
    tau=0.08,
    head_units=30,
    dueling=True,
    dueling_agg="mean",
    eps_schedule="linear",
    learn_start=300,
    eps_steps=5000,
    replay_size=500000,
)
TUNED = dict(TUNED_Q, replay_size=100000, head_units=128, target_update="hard")

SPECS = pair(
    "dueling_ddqn",
    "Dueling Double DQN (mean aggregation), CartPole-v1, tuned",
    "Dueling Double DQN (mean aggregation), CartPole-v0, documented settings",
    "seed 000 Dueling Q networks; seed 002 Dueling DQN",
    DOCUMENTED,
    TUNED,
)
