"""The greedy evaluation protocol shared by every RL spec and backend.

Evaluation runs on a separate, unnoised environment: ``eval_episodes`` episodes of the greedy
policy (the argmax of Q for a :class:`~bench.rl.agent.QLearner`, of pi for a
:class:`~bench.rl.agent.PolicyLearner`), episode k starting from a fixed seed so that every
evaluation of a run sees the same start states. The specs call :func:`greedy_evaluation`; the
driver (:mod:`bench.train.rl`) uses the same action selection and observation scaling.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from bench.rl.agent import PolicyLearner, QLearner
from bench.rl.environments import make_env

EVAL_SEED = 10_000


def scale_obs(obs, hp):
    """Observations as the network takes them: float32, times ``obs_scale`` (Atari: 1/255)."""
    s = hp.get("obs_scale", 1.0)
    return obs.astype(np.float32) * np.float32(s) if s != 1.0 or obs.dtype != np.float32 else obs


def action_scores(learner) -> Callable[[np.ndarray], np.ndarray]:
    """The learner's per-action scores for a batch of observations, chosen by its type: pi(. | s)
    for a policy learner, Q(s, .) for a Q-learner."""
    if isinstance(learner, PolicyLearner):
        return learner.probs
    if isinstance(learner, QLearner):
        return learner.q_values
    raise TypeError(f"{type(learner).__name__} is neither a QLearner nor a PolicyLearner (bench.rl.agent)")


def greedy_action(learner, obs, hp) -> int:
    """The argmax action of the learner's scores for one observation."""
    return int(np.argmax(action_scores(learner)(scale_obs(obs[None], hp))[0]))


def run_episodes(policy, desc, seed: int, episodes: int, max_steps: int | None = None) -> list[float]:
    """Undiscounted returns of ``episodes`` episodes of ``policy(obs, rng) -> action`` on an
    unnoised environment; episode k starts from reset(seed=EVAL_SEED + 100 * seed + k), so every
    evaluation of a run sees the same start states."""
    env = make_env(desc, seed, train=False)
    rng = np.random.default_rng([seed, 13])
    out = []
    try:
        for k in range(episodes):
            env.action_space.seed(EVAL_SEED + 100 * seed + k)
            obs, _ = env.reset(seed=EVAL_SEED + 100 * seed + k)
            total, n = 0.0, 0
            while True:
                obs, r, term, trunc, _ = env.step(policy(obs, rng))
                total, n = total + float(r), n + 1
                if term or trunc or (max_steps and n >= max_steps):
                    break
            out.append(total)
    finally:
        env.close()
    return out


def greedy_evaluation(learner, desc, hp, seed: int = 0) -> dict:
    """The evaluation protocol: ``eval_episodes`` greedy episodes (argmax of Q or of pi)."""
    returns = run_episodes(
        lambda o, _: greedy_action(learner, o, hp), desc, seed, int(hp["eval_episodes"]), hp.get("eval_max_steps")
    )
    return {
        "eval_return": float(np.mean(returns)),
        "eval_return_min": float(np.min(returns)),
        "eval_return_max": float(np.max(returns)),
        "eval_episodes": len(returns),
    }


def random_policy_return(desc, hp, seed: int = 0) -> float:
    """The mean return of the uniform random policy under the same protocol (a baseline)."""
    env = make_env(desc, seed, train=False)
    n = int(env.action_space.n)
    env.close()
    returns = run_episodes(
        lambda obs, rng: int(rng.integers(n)), desc, seed, int(hp["eval_episodes"]), hp.get("eval_max_steps")
    )
    return float(np.mean(returns))
