"""The RL interaction loop, shared by every backend.

The learner's type chooses the loop: a :class:`~bench.rl.agent.QLearner` trains off-policy from
a replay memory with epsilon-greedy exploration, a :class:`~bench.rl.agent.PolicyLearner` on
whole sampled episodes (REINFORCE). Timing follows the supervised driver: the first update
(trace/compile) and the first action selection are timed on their own (``compile_s``); then
every ``eval_every`` env steps form one timed *round* (acting, environment, replay and updates)
whose env steps/s is one throughput measurement; evaluation (:mod:`bench.rl.evaluation`) runs
outside the clock on a separate, unnoised environment. Time to target is the training wall time
and the env steps at the first greedy evaluation whose mean return reaches the spec's target. A
non-finite loss stops the run as ``diverged``.
"""

from __future__ import annotations

import math
import time

import numpy as np

from bench.rl.agent import PolicyLearner, QLearner
from bench.rl.environments import make_env, seeded_reset
from bench.rl.evaluation import random_policy_return, scale_obs
from bench.rl.replay import PrioritizedReplay, ReplayBuffer
from bench.rl.returns import discounted_returns, normalise
from bench.rl.schedules import epsilon_schedule, linear
from bench.train.tracking import RunTracker


def train(spec, learner, data, hp, seed, sync, train_step=None, on_eval=None, backend=None) -> dict:
    train_step = train_step or learner.train_step
    loop = _Loop(spec, learner, data, hp, seed, sync, train_step, on_eval, backend)
    return loop.run()


class _Loop(RunTracker):
    """The RL interaction loop; timing, curve, target and divergence follow RunTracker."""

    def __init__(self, spec, learner, desc, hp, seed, sync, train_step, on_eval, backend=None):
        super().__init__(spec, learner, desc, hp, sync, on_eval, backend=backend)
        self.desc, self.seed, self.train_step = desc, seed, train_step
        self.updates, self.episodes = 0, 0
        self.ep_returns, self.ep_lengths = [], []

    def context(self):
        recent = self.ep_returns[-10:]
        return {
            "episodes": self.episodes,
            "updates": self.updates,
            "train_return": float(np.mean(recent)) if recent else None,
        }

    def end_round(self, elapsed, steps) -> bool:
        return super().end_round(elapsed, steps, f"after {self.updates} updates ({self.out['steps']} env steps)")

    def finish(self) -> dict:
        m = dict(self.metrics)
        tt = self.train_time or float("nan")
        m.update(
            env_steps=self.out["steps"],
            updates=self.updates,
            episodes=self.episodes,
            updates_per_s=self.updates / tt,
            env_steps_per_s=self.out["steps"] / tt,
            best_eval_return=max(
                (p.get(self.spec.metric, -math.inf) for p in self.out["curve"] if p.get(self.spec.metric) is not None),
                default=None,
            ),
            mean_eval_return=float(
                np.mean(
                    [p[self.spec.metric] for p in self.out["curve"] if p.get(self.spec.metric) is not None][1:]
                    or [math.nan]
                )
            ),
            train_return_last10=float(np.mean(self.ep_returns[-10:])) if self.ep_returns else None,
        )
        if self.hp.get("report_random_return"):
            m["random_return"] = random_policy_return(self.desc, self.hp, self.seed)
        return super().finish("env steps/s", m)

    def run(self) -> dict:
        """The loop the learner's type calls for: policy gradient or Q-learning."""
        if isinstance(self.learner, PolicyLearner):
            return self.run_policy_gradient()
        if isinstance(self.learner, QLearner):
            return self.run_q()
        raise TypeError(f"{type(self.learner).__name__} is neither a QLearner nor a PolicyLearner (bench.rl.agent)")

    # -- DQN family ----------------------------------------------------------------------------
    def run_q(self) -> dict:
        hp, learner = self.hp, self.learner
        env = make_env(self.desc, self.seed, train=True)
        obs, _ = seeded_reset(env, self.seed)
        n_actions = int(env.action_space.n)
        act_rng = np.random.default_rng([self.seed, 11])
        replay_rng = np.random.default_rng([self.seed, 12])
        if hp.get("prioritized"):
            memory = PrioritizedReplay(hp["replay_size"], obs.shape, obs.dtype, hp["per_alpha"], hp["per_eps"])
        else:
            memory = ReplayBuffer(hp["replay_size"], obs.shape, obs.dtype)
        self.memory = memory
        eps_fn = epsilon_schedule(hp)
        total, every, bs = int(hp["total_steps"]), int(hp["eval_every"]), int(hp["batch_size"])
        learn_start, train_every = int(hp["learn_start"]), int(hp.get("train_every", 1))
        sync_mode, tau, hard_every = hp["target_update"], float(hp["tau"]), int(hp.get("target_update_every", 1))
        beta_steps = max(1, total - learn_start)

        self.timed_first(learner.q_values, scale_obs(obs[None], hp))  # trace the action selection
        if sync_mode != "none":
            # the target sync's one-time trace, before the clock starts: a hard copy of the online
            # network into a target network that already equals it (set_weights copied it)
            learner.sync_target(1.0)
        self.evaluate()
        ep_return, ep_len, compiled = 0.0, 0, False
        round_steps, round_time = 0, 0.0
        self.sync()
        t0 = time.perf_counter()
        step = 0
        try:
            while step < total:
                if act_rng.random() < eps_fn(step):
                    action = int(act_rng.integers(n_actions))
                else:
                    action = int(np.argmax(learner.q_values(scale_obs(obs[None], hp))[0]))
                next_obs, reward, term, trunc, info = env.step(action)
                memory.add(obs, action, reward, next_obs, term)
                ep_return += float(info.get("raw_reward", reward))
                ep_len += 1
                if term or trunc:
                    self.ep_returns.append(ep_return)
                    self.ep_lengths.append(ep_len)
                    self.episodes += 1
                    ep_return, ep_len = 0.0, 0
                    obs, _ = env.reset()
                else:
                    obs = next_obs
                step += 1
                round_steps += 1
                if step >= learn_start and step % train_every == 0 and len(memory) >= bs:
                    batch = memory.sample(
                        bs, replay_rng, linear(step - learn_start, hp.get("per_beta0", 0.4), 1.0, beta_steps)
                    )
                    batch["obs"], batch["next_obs"] = scale_obs(batch["obs"], hp), scale_obs(batch["next_obs"], hp)
                    if not compiled:  # the first update traces/compiles: timed on its own
                        self.sync()
                        round_time += time.perf_counter() - t0
                        self.losses.append(self.timed_first(self.train_step, batch, batch["weights"]))
                        compiled = True
                        t0 = time.perf_counter()
                    else:
                        self.losses.append(self.train_step(batch, batch["weights"]))
                    if hp.get("prioritized"):
                        memory.update_priorities(batch["idx"], np.asarray(learner.last_td))
                    self.updates += 1
                    if sync_mode == "soft":
                        learner.sync_target(tau)
                    elif sync_mode == "hard" and self.updates % hard_every == 0:
                        learner.sync_target(1.0)
                if step % every == 0 or step == total:
                    self.sync()
                    round_time += time.perf_counter() - t0
                    self.out["steps"] = step
                    go_on = self.end_round(round_time, round_steps)
                    round_steps, round_time = 0, 0.0
                    if not go_on:
                        break
                    self.sync()
                    t0 = time.perf_counter()
        finally:
            env.close()
        self.out["steps"] = step
        return self.finish()

    # -- REINFORCE -----------------------------------------------------------------------------
    def run_policy_gradient(self) -> dict:
        hp, learner = self.hp, self.learner
        env = make_env(self.desc, self.seed, train=True)
        obs, _ = seeded_reset(env, self.seed)
        rng = np.random.default_rng([self.seed, 11])
        total, every, gamma = int(hp["total_steps"]), int(hp["eval_every"]), float(hp["gamma"])
        self.timed_first(learner.probs, scale_obs(obs[None], hp))
        self.evaluate()
        step, next_eval, compiled = 0, every, False
        round_steps, round_time = 0, 0.0
        try:
            while step < total:
                self.sync()
                t0 = time.perf_counter()
                states, actions, rewards, raw = [], [], [], 0.0
                while True:
                    x = scale_obs(obs, hp)
                    action = learner.act(x, rng)
                    next_obs, reward, term, trunc, info = env.step(action)
                    states.append(x)
                    actions.append(action)
                    rewards.append(reward)
                    raw += float(info.get("raw_reward", reward))
                    step += 1
                    obs = next_obs
                    if term or trunc:
                        obs, _ = env.reset()
                        break
                # an episode cut by the time limit is treated as finished (REINFORCE needs
                # complete returns; CartPole's limit is far beyond the discount horizon)
                returns = normalise(discounted_returns(rewards, gamma)).astype(np.float32)
                batch = {"obs": np.stack(states), "actions": np.asarray(actions, dtype=np.int64)}
                if not compiled:
                    self.sync()
                    round_time += time.perf_counter() - t0
                    self.losses.append(self.timed_first(self.train_step, batch, returns))
                    compiled = True
                else:
                    self.losses.append(self.train_step(batch, returns))
                    self.sync()
                    round_time += time.perf_counter() - t0
                round_steps += len(rewards)
                self.updates += 1
                self.episodes += 1
                self.ep_returns.append(raw)
                self.ep_lengths.append(len(rewards))
                if step >= next_eval or step >= total:
                    next_eval = step + every
                    self.out["steps"] = step
                    go_on = self.end_round(round_time, round_steps)
                    round_steps, round_time = 0, 0.0
                    if not go_on:
                        break
        finally:
            env.close()
        self.out["steps"] = step
        return self.finish()
