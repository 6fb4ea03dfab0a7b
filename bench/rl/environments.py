"""Environments: a description the spec hands to the driver, a seeded factory, the documents'
stochastic-reward wrapper and the Atari preprocessing (greyscale, 105x80, stack of 3 frames).

Gymnasium and ale-py are imported inside the functions, so ``bench`` stays light at import."""

from __future__ import annotations

import collections
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bench.core.errors import BenchError


@dataclass(frozen=True)
class EnvDesc:
    env_id: str
    reward_noise_std: float = 0.0  # training rewards r + N(0, sigma); evaluation never noisy
    atari: bool = False
    frame_stack: int = 3
    frame_size: tuple = (105, 80)
    frame_skip: int = 4  # done once, by ALE itself (no second skipping wrapper)
    sticky_actions: float = 0.25  # ALE v5's repeat_action_probability
    max_episode_steps: int | None = None  # None: the environment's own time limit

    @property
    def name(self) -> str:
        noise = f", reward noise sigma={self.reward_noise_std:g}" if self.reward_noise_std else ""
        return f"{self.env_id}{noise}"


def _gym():
    import gymnasium

    return gymnasium


def _register_atari(gym) -> None:
    try:
        import ale_py
    except ImportError:
        raise BenchError("Atari environments need the ale-py package (pip install ale-py)") from None
    gym.register_envs(ale_py)


class StochasticReward:
    """Replaces each reward r by r + N(0, sigma) (for CartPole's constant 1: N(1, sigma), as the
    Double Q and Dueling Q documents do). Seeded by its own generator; the unmodified reward
    stays available as ``info["raw_reward"]``."""

    def __new__(cls, env, sigma: float, seed: int):
        gym = _gym()

        class _Wrapper(gym.Wrapper):
            def __init__(self, env):
                super().__init__(env)
                self.sigma = float(sigma)
                self.rng = np.random.default_rng([seed, 7])

            def step(self, action):
                obs, reward, terminated, truncated, info = self.env.step(action)
                info = dict(info, raw_reward=float(reward))
                return obs, float(reward) + self.sigma * float(self.rng.standard_normal()), terminated, truncated, info

        return _Wrapper(env)


class AtariFrames:
    """Greyscale frames (ALE's own greyscale output) halved to 105x80 by 2x2 averaging (the
    document's tf.image.resize to half size), kept as uint8 and stacked on the last axis:
    observations are (105, 80, 3) uint8; the driver scales them by 1/255 for the network."""

    def __new__(cls, env, size=(105, 80), stack: int = 3):
        gym = _gym()
        h, w = size

        def shrink(frame):
            fh, fw = frame.shape[:2]
            if (fh, fw) == (2 * h, 2 * w):
                f = frame.astype(np.float32).reshape(h, 2, w, 2).mean(axis=(1, 3))
            else:  # general size: nearest rows/columns (not used by the documents' settings)
                f = frame[np.linspace(0, fh - 1, h).astype(int)][:, np.linspace(0, fw - 1, w).astype(int)]
            return np.rint(f).astype(np.uint8)

        class _Wrapper(gym.Wrapper):
            def __init__(self, env):
                super().__init__(env)
                self.frames = collections.deque(maxlen=stack)
                self.observation_space = gym.spaces.Box(0, 255, (h, w, stack), np.uint8)

            def _obs(self):
                return np.stack(self.frames, axis=-1)

            def reset(self, **kwargs):
                obs, info = self.env.reset(**kwargs)
                f = shrink(obs)
                for _ in range(stack):  # the document repeats the first frame
                    self.frames.append(f)
                return self._obs(), info

            def step(self, action):
                obs, reward, terminated, truncated, info = self.env.step(action)
                self.frames.append(shrink(obs))
                return self._obs(), reward, terminated, truncated, info

        return _Wrapper(env)


def make_env(desc: EnvDesc, seed: int, train: bool = True):
    """A Gymnasium environment for ``desc``; reward noise only when ``train``. The caller seeds
    it through ``reset(seed=...)`` and ``action_space.seed(...)`` (see :func:`seeded_reset`)."""
    gym = _gym()
    kwargs = {}
    if desc.max_episode_steps:
        kwargs["max_episode_steps"] = int(desc.max_episode_steps)
    if desc.atari or desc.env_id.startswith("ALE/"):
        _register_atari(gym)
        kwargs.update(
            obs_type="grayscale", frameskip=int(desc.frame_skip), repeat_action_probability=float(desc.sticky_actions)
        )
    try:
        env = gym.make(desc.env_id, **kwargs)
    except (gym.error.NameNotFound, gym.error.VersionNotFound, gym.error.NamespaceNotFound) as exc:
        raise BenchError(f"unknown environment id '{desc.env_id}': {exc}") from None
    except gym.error.Error as exc:
        raise BenchError(f"cannot create environment '{desc.env_id}': {exc}") from None
    except Exception as exc:  # ale-py raises OSError / NotADirectoryError for a missing ROM
        atari = desc.atari or desc.env_id.startswith("ALE/")
        if atari and (isinstance(exc, OSError) or "rom" in str(exc).lower()):
            raise BenchError(
                f"the Atari ROM for '{desc.env_id}' is missing: {exc}; "
                "install an ale-py wheel that ships the ROMs (ale-py >= 0.9)"
            ) from None
        raise BenchError(f"cannot create environment '{desc.env_id}': {type(exc).__name__}: {exc}") from None
    if desc.atari:
        env = AtariFrames(env, tuple(desc.frame_size), int(desc.frame_stack))
    if train and desc.reward_noise_std:
        env = StochasticReward(env, desc.reward_noise_std, seed)
    return env


def seeded_reset(env, seed: int):
    """First reset of an environment: seeds its RNG and its action space."""
    env.action_space.seed(seed)
    return env.reset(seed=seed)


def _ale_log(level: str) -> None:
    try:
        import ale_py
    except ImportError:
        return
    ale_py.ALEInterface.setLoggerMode(getattr(ale_py.LoggerMode, level))


@lru_cache(maxsize=32)
def env_spaces(desc: EnvDesc) -> tuple[tuple, int | None, str]:
    """(observation shape, number of actions or None when the action space is not discrete, the
    action space as text) of ``desc``'s environment; made once per description and process."""
    gym = _gym()
    atari = desc.atari or desc.env_id.startswith("ALE/")
    with warnings.catch_warnings():  # e.g. CartPole-v0's deprecation: not the user's concern here
        warnings.simplefilter("ignore")
        if atari:
            _ale_log("Error")  # no emulator banner in the parent's output
        try:
            env = make_env(desc, 0, train=False)
        finally:
            if atari:
                _ale_log("Info")  # ALE's default
    try:
        space, actions = env.observation_space, env.action_space
    finally:
        env.close()
    n = int(actions.n) if isinstance(actions, gym.spaces.Discrete) else None
    return tuple(space.shape), n, str(actions)


def check_compatible(desc: EnvDesc, obs_shape, n_actions: int, algo: str) -> None:
    """A clear error when the spec's network does not fit the environment (for example a
    CartPole network on Atari), or the environment cannot be made."""
    shape, n, actions = env_spaces(desc)
    if n is None:
        raise BenchError(f"{algo} needs a discrete action space; {desc.env_id} has {actions}")
    if shape != tuple(obs_shape) or n != int(n_actions):
        raise BenchError(
            f"{algo}'s network takes observations of shape {tuple(obs_shape)} and {n_actions} actions, "
            f"but {desc.env_id} gives observations of shape {shape} and {n} actions; "
            "choose an algorithm made for this environment"
        )
