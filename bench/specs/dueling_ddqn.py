"""Dueling Double DQN on CartPole, the Dueling Q document: dense 30-30 trunk, value and
advantage streams of 30 units, mean aggregation (max as the option ``dueling_agg=max``), linear
epsilon after DELAY_TRAINING = 300 over EPSILON_MIN_ITER = 5000 steps, memory 500000.

Tuned for CartPole-v1; the documented settings are the spec ``dueling_ddqn_doc``."""

from bench.specs._rl import CARTPOLE, TUNED_Q, make

DOCUMENTED = dict(CARTPOLE, target_mode="double", target_update="soft", tau=0.08, head_units=30,
                  dueling=True, dueling_agg="mean", eps_schedule="linear", learn_start=300,
                  eps_steps=5000, replay_size=500000)
TUNED = dict(TUNED_Q, replay_size=100000, head_units=128, target_update="hard")

SPEC = make("dueling_ddqn", "Dueling Double DQN (mean aggregation), CartPole-v1, tuned", "seed 000 Dueling Q networks; seed 002 Dueling DQN", DOCUMENTED, TUNED, impl="dqn")
