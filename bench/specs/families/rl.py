"""Shared construction of the reinforcement-learning specs (DQN family, REINFORCE).

Every RL spec is built from the documents' settings (``DOCUMENTED``) plus, for the specs that
must solve CartPole-v1 (greedy evaluation return >= 475), a labelled set of changes
(``TUNED``): the documents train on CartPole-v0 (200-step episodes) with a noisy reward and
never claim a 475 solve. Spec names ending in ``_doc`` run the documented settings on
CartPole-v0 (target 195, the v0 "solved" threshold); the others run the tuned settings on
CartPole-v1. ``hparams["settings"]`` says which. One module per algorithm declares both specs
with :func:`pair` (``SPECS``).

The implementation module (``impl``: ``dqn`` or ``reinforce``) decides the kind of agent: the
driver dispatches on the learner's class (:mod:`bench.rl.agent`). Every setting is checked
before a cell starts: the ranges by :func:`bench.specs.base.check_ranges`, the choice settings,
the conv trunk and the environment against the network by the spec's ``validate`` hook.
"""

from __future__ import annotations

from bench.core.errors import BenchError, choices
from bench.rl.environments import EnvDesc, check_compatible
from bench.rl.evaluation import greedy_evaluation
from bench.rl.returns import TARGET_MODES
from bench.specs.base import KERAS_ADAM, Spec

# The Double Q document (seed 000): constants of its TensorFlow 2 code.
CARTPOLE = dict(
    env_id="CartPole-v0",
    reward_noise_std=1.0,
    atari=False,
    max_episode_steps=0,
    obs_shape=(4,),
    n_actions=2,
    obs_scale=1.0,
    conv=(),
    hidden=(30, 30),
    head_units=0,
    dueling=False,
    dueling_agg="mean",
    lr=1e-3,
    **KERAS_ADAM,
    grad_clip_norm=0.0,
    gamma=0.95,
    loss="mse",
    huber_delta=1.0,
    target_mode="online",
    target_update="none",
    tau=0.08,
    target_update_every=1,
    batch_size=32,
    replay_size=50000,
    learn_start=96,
    train_every=1,
    eps_schedule="exponential",
    eps_max=1.0,
    eps_min=0.01,
    eps_decay=0.0005,
    eps_steps=5000,
    prioritized=False,
    per_alpha=0.6,
    per_beta0=0.4,
    per_eps=1e-6,
    total_steps=60000,
    eval_every=2000,
    eval_episodes=5,
    eval_max_steps=0,
    stop_on_target=True,
    report_random_return=False,
    settings="documented",
)

# Changes for CartPole-v1 (500-step episodes, target 475), the same for every DQN-family spec:
# a longer discount horizon, the plain reward, a linear exploration schedule and a Huber loss.
# With gamma 0.99 the documented soft update tau = 0.08 (a target refreshed every ~12 updates)
# makes the Q-values diverge (measured: Q ~ 3e4 after 6000 steps); tau = 0.005 does not.
# Measured (PyTorch, seeds 0-2): the documented 30-30 net with lr 1e-3 and batch 32-64 reaches
# 250-450 and then collapses on some seeds; 128-128 units, lr 5e-4, batch 128 and a hard target
# copy every 200 updates solved Dueling Double DQN on 3 of 3 seeds within 100000 env steps.
TUNED_Q = dict(
    env_id="CartPole-v1",
    reward_noise_std=0.0,
    gamma=0.99,
    loss="huber",
    tau=0.005,
    target_update_every=200,
    hidden=(128, 128),
    eps_schedule="linear",
    eps_min=0.05,
    eps_steps=10000,
    learn_start=1000,
    batch_size=128,
    lr=5e-4,
    total_steps=100000,
    eval_every=1000,
    settings="tuned",
)
TUNED_PG = dict(env_id="CartPole-v1", reward_noise_std=0.0, gamma=0.99, lr=2e-3, total_steps=300000, settings="tuned")

QUICK = dict(total_steps=600, eval_every=300, eval_episodes=2, learn_start=64, replay_size=1000, stop_on_target=False)
QUICK_PG = dict(total_steps=600, eval_every=300, eval_episodes=2, stop_on_target=False)
# Parity (tests/test_generated.py: synthetic observations and replay batches or episodes of the
# spec's shape, quick settings, seed 0; tests/test_optim_parity.py: one Double-DQN update on real
# CartPole transitions, 1.5e-8). q_atol, probs_atol: the outputs at the canonical initial weights
# (measured 0 to 1.2e-6, the Atari conv net the largest). loss_rtol, td_atol: the first two
# updates. own_loss_rtol: the losses of 20 updates of the spec's Adam on one replay batch,
# free-running: measured at most 9.2e-7 (every DQN variant, PyTorch and Keras against TensorFlow);
# after them the Q-values agree to 9.5e-7 and REINFORCE's probabilities to 1.2e-7 (q_atol,
# probs_atol). REINFORCE's loss crosses zero, so its losses are held only over the first steps.
# bf16_loss_rtol: bf16 mixed precision against fp32, the first two TD losses of the parity
# protocol (tests/test_modes.py): measured 1.03e-3 (dqn, double_dqn, double_dqn_hard),
# 9.3e-4 (dqn_doc), 9.0e-4 (per_ddqn), 2.9e-4 (dueling_ddqn), alike in every backend; 3x
# the largest, rounded (dueling_ddqn_atari states its own)
TOLERANCES = {
    "q_atol": 1e-5,
    "probs_atol": 1e-5,
    "loss_rtol": 1e-5,
    "td_atol": 1e-5,
    "own_loss_rtol": 1e-5,
    "bf16_loss_rtol": 3e-3,
}


# The settings that take one of a few values, and those values.
CHOICES = {
    "target_mode": TARGET_MODES,
    "target_update": ("none", "soft", "hard"),
    "loss": ("mse", "huber"),
    "eps_schedule": ("exponential", "linear"),
    "dueling_agg": ("mean", "max"),
}


def env_desc(hp) -> EnvDesc:
    return EnvDesc(
        hp["env_id"],
        float(hp["reward_noise_std"]),
        bool(hp["atari"]),
        max_episode_steps=int(hp["max_episode_steps"]) or None,
    )


def load_data(hp, seed):
    """The environment description (the settings were validated before the cell started)."""
    return env_desc(hp)


def validate_for(name):
    """The RL spec's ``validate`` hook: the choice settings, the exploration bounds, the conv
    trunk, then the environment against the network's ``obs_shape`` and ``n_actions`` (the
    environment is made once, in the parent, to read its spaces)."""

    def validate(hp):
        for key, allowed in CHOICES.items():
            if key in hp and hp[key] not in allowed:
                raise BenchError(f"{name} setting '{key}' = {hp[key]!r}; choose from: {choices(allowed)}")
        if hp["eps_min"] > hp["eps_max"]:
            raise BenchError(f"{name} setting 'eps_min' = {hp['eps_min']} must not exceed 'eps_max' = {hp['eps_max']}")
        _check_conv(hp, name)
        check_compatible(env_desc(hp), hp["obs_shape"], hp["n_actions"], name)

    return validate


def _check_conv(hp, name):
    conv = hp.get("conv") or ()
    if not conv:
        return
    if any(not isinstance(c, tuple) or len(c) != 3 or any(not isinstance(v, int) or v < 1 for v in c) for c in conv):
        raise BenchError(
            f"{name} setting 'conv' = {conv!r}: each layer is a (filters, kernel, stride) triple of integers >= 1"
        )
    if len(hp["obs_shape"]) != 3:
        raise BenchError(
            f"{name} setting 'conv' needs image observations (h, w, c); obs_shape is {tuple(hp['obs_shape'])}"
        )
    h, w = hp["obs_shape"][:2]
    for _, k, s in conv:
        h, w = (h - k) // s + 1, (w - k) // s + 1
    if h < 1 or w < 1:
        raise BenchError(
            f"{name} setting 'conv' = {conv!r} leaves no feature map of the {tuple(hp['obs_shape'])} observations"
        )


def evaluate(learner, desc, hp):
    return greedy_evaluation(learner, desc, hp, seed=0)


def make(
    name,
    title,
    source,
    documented,
    tuned=None,
    quick=None,
    full=None,
    target=None,
    notes="",
    impl="dqn",
    init=None,
    no_target=False,
    in_default_run=True,
) -> Spec:
    hp = dict(documented)
    if tuned:
        hp.update(tuned)
    v1 = hp["env_id"] == "CartPole-v1"
    return Spec(
        name=name,
        title=title,
        kind="rl",
        source=source,
        hparams=hp,
        budgets={"quick": dict(quick or (QUICK_PG if impl == "reinforce" else QUICK)), "full": dict(full or {})},
        metric="eval_return",
        higher_is_better=True,
        target=None if no_target else (target if target is not None else (475.0 if v1 else 195.0)),
        tolerances=TOLERANCES,
        init=init or {"*kernel": "he_normal", "*bias": "zeros"},
        load_data=load_data,
        evaluate=evaluate,
        validate=validate_for(name),
        impl=impl,
        in_default_run=in_default_run,
        notes=f"{notes} Settings: {_settings_note(documented, tuned)}",
    )


def _settings_note(documented, tuned) -> str:
    if not tuned:
        return "as documented"
    changed = ", ".join(f"{k}={documented.get(k)!r}" for k in tuned if k != "settings")
    return f"tuned (see bench/specs/families/rl.py TUNED_*); documented values: {changed}"


def pair(name, title, doc_title, source, documented, tuned, impl="dqn") -> tuple[Spec, Spec]:
    """One algorithm's two specs from one declaration: ``name`` runs the tuned settings on
    CartPole-v1 (target 475), ``name_doc`` the documented settings on CartPole-v0 (target 195)."""
    return (
        make(name, title, source, documented, tuned, impl=impl),
        make(f"{name}_doc", doc_title, source, documented, impl=impl),
    )
