"""Dueling Double DQN on CartPole, the Dueling Q document: dense 30-30 trunk, value and
advantage streams of 30 units, mean aggregation (max as the option ``dueling_agg=max``), linear
epsilon after DELAY_TRAINING = 300 over EPSILON_MIN_ITER = 5000 steps, memory 500000.

``dueling_ddqn`` runs the tuned settings on CartPole-v1; ``dueling_ddqn_doc`` the documented
settings on CartPole-v0."""

from bench.specs.families.rl import pair

SPECS = pair(
    "dueling_ddqn",
    "Dueling Double DQN (mean aggregation), CartPole-v1, tuned",
    "Dueling Double DQN (mean aggregation), CartPole-v0, documented settings",
    source="seed 000 Dueling Q networks; seed 002 Dueling DQN",
    # tau 0.08, mean aggregation and eps_steps 5000: the family's
    documented=dict(
        target_mode="double",
        target_update="soft",
        head_units=30,
        dueling=True,
        eps_schedule="linear",
        learn_start=300,
        replay_size=500000,
    ),
    tuned=dict(replay_size=100000, head_units=128, target_update="hard"),
)
