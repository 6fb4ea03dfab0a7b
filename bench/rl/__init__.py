"""Reinforcement-learning machinery shared by every backend: environments and wrappers
(:mod:`bench.rl.environments`), replay buffers (:mod:`bench.rl.replay`), exploration schedules
(:mod:`bench.rl.schedules`), returns and Q-targets (:mod:`bench.rl.returns`), the learner
interface the backends implement (:mod:`bench.rl.agent`), the interaction loop and the greedy
evaluation protocol (:mod:`bench.train.rl`). Framework-free."""
