"""What the RL pytest-benchmark suite (tests/benchmarks/test_rl.py) needs: a prepared agent,
a filled replay memory, and one step of the interaction loop as a callable.

Three measurements per (algorithm, backend): one gradient update on a replay batch
(updates/s), greedy action selection for one observation (latency, batch of 1), and one step
of the training loop (act epsilon-greedily, step the environment, store, sample, update, sync
the target: env steps/s). Warm-up rounds absorb tracing; the device is synchronised inside
every timed call. ``BENCH_THREADS`` sets the framework threads (on a shared, oversubscribed
machine PyTorch with more threads than free cores is many times slower: use 1)."""

from __future__ import annotations

import os
import time

import numpy as np
from support import axes, cases, create, on_this_engine

from bench.core.card import config_card
from bench.core.env_vars import env_count
from bench.rl.agent import QLearner
from bench.rl.environments import make_env, seeded_reset
from bench.rl.evaluation import greedy_action, scale_obs as _scale
from bench.rl.replay import PrioritizedReplay, ReplayBuffer
from bench.rl.returns import discounted_returns, normalise
from bench.train.rl import train
from bench.train.runner import prepare

RL_BENCH_ALGOS = ("double_dqn", "per_ddqn", "reinforce", "dueling_ddqn_atari")
CELLS_RL = on_this_engine([(a, b) for a, b in cases("rl", reference=False) if a in RL_BENCH_ALGOS])
# the DQN update and action selection in every mode and precision of each backend (on this device)
MODE_ALGOS_RL = ("dqn",)
CELLS_RL_MODES = [
    (a, b, m, p)
    for a, b in cases("rl", reference=False)
    if a in MODE_ALGOS_RL and (a, b) in on_this_engine([(a, b)])  # on the default Keras engine only
    for m, p in axes(a, b, os.environ.get("BENCH_DEVICE", "cpu"))
]


class Agent:
    """A prepared cell (canonical initial weights) with its environment and a replay memory
    filled with ``fill`` random transitions."""

    def __init__(self, algo, backend, device=None, fill=2000, mode=None, precision="fp32"):
        device = device or os.environ.get("BENCH_DEVICE", "cpu")
        # default (unset or 0): all cores; anything but a whole number is a BenchError naming the variable
        threads = (
            env_count("BENCH_THREADS", 1) if os.environ.get("BENCH_THREADS", "").strip() not in ("", "0") else None
        )
        self.cell = create(algo, backend, device, threads=threads, mode=mode, precision=precision)
        self.p = prepare(self.cell)
        self.hp, self.learner, self.sync = self.p.hp, self.p.learner, self.p.session.sync
        self.env = make_env(self.p.data, 0)
        self.obs, _ = seeded_reset(self.env, 0)
        self.rng = np.random.default_rng(0)
        self.n_actions = int(self.env.action_space.n)
        self.q = isinstance(self.learner, QLearner)
        if self.q:
            cls = PrioritizedReplay if self.hp["prioritized"] else ReplayBuffer
            kw = dict(alpha=self.hp["per_alpha"]) if self.hp["prioritized"] else {}
            self.memory = cls(max(fill, self.hp["batch_size"]) * 2, self.obs.shape, self.obs.dtype, **kw)
            for _ in range(fill):
                self._env_step(int(self.rng.integers(self.n_actions)))
        self.episode = {"obs": [], "actions": [], "rewards": []}

    def _env_step(self, action):
        nxt, r, term, trunc, _ = self.env.step(action)
        if self.q:
            self.memory.add(self.obs, action, r, nxt, term)
        else:
            self.episode["obs"].append(_scale(self.obs, self.hp))
            self.episode["actions"].append(action)
            self.episode["rewards"].append(r)
        self.obs = self.env.reset()[0] if (term or trunc) else nxt
        return term or trunc

    def quality(self) -> dict:
        """The quick budget's final greedy return (CartPole specs only: Atari's quick budget
        takes minutes on a CPU; its figures are in results/recorded/rl)."""
        if self.hp["atari"]:
            return {"value": None, "quality_budget": None}
        fresh = prepare(self.cell)
        out = train(fresh.spec, fresh.learner, fresh.data, fresh.hp, 0, fresh.session.sync)
        return {"value": out["metrics"].get(fresh.spec.metric), "quality_budget": "quick"}

    def batch(self):
        b = self.memory.sample(self.hp["batch_size"], self.rng, 0.4)
        b["obs"], b["next_obs"] = _scale(b["obs"], self.hp), _scale(b["next_obs"], self.hp)
        return b

    def update_fn(self):
        """One gradient update on a fixed batch (REINFORCE: one 200-step episode)."""
        if self.q:
            b = self.batch()

            def step():
                loss, td = self.learner.update(b, b["weights"])
                self.sync()
                return float(loss)

            return step
        obs = np.stack([_scale(self.obs, self.hp)] * 200)
        actions = self.rng.integers(self.n_actions, size=200)
        returns = normalise(discounted_returns(np.ones(200), self.hp["gamma"])).astype(np.float32)

        def step():
            loss = self.learner.update(obs, actions, returns)
            self.sync()
            return float(loss)

        return step

    def act_fn(self):
        obs = self.obs
        if self.q:
            return lambda: greedy_action(self.learner, obs, self.hp)
        return lambda: self.learner.act(_scale(obs, self.hp), self.rng)

    def loop_step_fn(self):
        """One training-loop step at the final exploration rate (DQN: act, step, store,
        sample, update, target sync; REINFORCE: act, step, and the update at an episode's end)."""
        hp, learner = self.hp, self.learner
        eps = hp["eps_min"]

        def q_step():
            if self.rng.random() < eps:
                a = int(self.rng.integers(self.n_actions))
            else:
                a = greedy_action(learner, self.obs, hp)
            self._env_step(a)
            b = self.batch()
            learner.train_step(b, b["weights"])
            if hp["prioritized"]:
                self.memory.update_priorities(b["idx"], np.asarray(learner.last_td))
            if hp["target_update"] == "soft":
                learner.sync_target(hp["tau"])
            self.sync()

        def pg_step():
            a = learner.act(_scale(self.obs, hp), self.rng)
            if self._env_step(a):
                e = self.episode
                g = normalise(discounted_returns(e["rewards"], hp["gamma"])).astype(np.float32)
                learner.train_step({"obs": np.stack(e["obs"]), "actions": np.asarray(e["actions"])}, g)
                self.episode = {"obs": [], "actions": [], "rewards": []}
            self.sync()

        return q_step if self.q else pg_step

    def first_call_s(self, fn) -> float:
        """Seconds of ``fn``'s first call (the trace/compile of a compiled mode), synchronised."""
        t0 = time.perf_counter()
        fn()
        self.sync()
        return time.perf_counter() - t0

    def info(self) -> dict:
        return {
            "algo": self.cell.algo,
            "backend": self.cell.name,
            "device": self.cell.device,
            "mode": self.cell.mode,
            "precision": self.cell.precision,
            "metric": self.p.spec.metric,
            "env": self.p.data.name,
            "batch_size": int(self.hp.get("batch_size", 0)),
            "card": config_card(self.cell.backend, self.p.session.facts, self.learner.describe()),
        }


def rounds(default: int) -> dict:
    return {
        "rounds": env_count("BENCH_ROUNDS", default),
        "iterations": env_count("BENCH_ITERATIONS", 10),
        "warmup_rounds": 3,
    }
