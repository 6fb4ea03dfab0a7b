"""The greedy evaluation protocol of the RL specs: greedy episodes (argmax of Q or of pi) on an
unnoised environment from fixed start states. The RL specs' ``evaluate`` (bench/specs/_rl.py) is
:func:`greedy_evaluation`; the RL driver (:mod:`bench.rl.driver`) acts greedily and runs its
random-policy baseline with the same pieces. It sits below both, beside the environments."""

from __future__ import annotations

import numpy as np

from bench.rl.envs import make_env

EVAL_SEED = 10_000


def _scale(obs, hp):
    s = hp.get("obs_scale", 1.0)
    return obs.astype(np.float32) * np.float32(s) if s != 1.0 or obs.dtype != np.float32 else obs


def greedy_action(learner, obs, hp) -> int:
    x = _scale(obs[None], hp)
    out = learner.probs(x) if hp["agent"] == "reinforce" else learner.q_values(x)
    return int(np.argmax(out[0]))


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
    returns = run_episodes(lambda o, _: greedy_action(learner, o, hp), desc, seed,
                           int(hp["eval_episodes"]), hp.get("eval_max_steps"))
    return {"eval_return": float(np.mean(returns)), "eval_return_min": float(np.min(returns)),
            "eval_return_max": float(np.max(returns)), "eval_episodes": len(returns)}
