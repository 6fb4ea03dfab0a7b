"""The shared RL machinery (bench/rl), framework-free: sum-tree and prioritized replay,
importance weights, epsilon schedules, discounted returns, Q-targets, bootstrapping through
truncation but not termination, the loop and the greedy action chosen by the learner's type, the
reward-noise wrapper and the Atari preprocessing, and every bad setting as one line before any
cell starts."""

import math

import numpy as np
import pytest
from scipy import stats

from bench.core.errors import BenchError
from bench.rl import schedules
from bench.rl.agent import PolicyLearner, QLearner
from bench.rl.environments import EnvDesc, make_env, seeded_reset
from bench.rl.replay import PrioritizedReplay, ReplayBuffer, SumTree
from bench.rl.returns import discounted_returns, normalise, q_targets, td_loss

# -- sum-tree and prioritized replay -------------------------------------------------------------


def test_sum_tree_totals_and_prefix_search():
    tree = SumTree(5)
    p = np.array([1.0, 2.0, 0.0, 3.0, 4.0])
    tree.update(np.arange(5), p)
    assert tree.total == pytest.approx(10.0)
    # prefix boundaries: [0,1) -> 0, [1,3) -> 1, (zero-priority leaf 2 never), [3,6) -> 3, [6,10) -> 4
    found = tree.find(np.array([0.0, 0.99, 1.0, 2.99, 3.0, 5.99, 6.0, 9.99]))
    assert found.tolist() == [0, 0, 1, 1, 3, 3, 4, 4]
    tree.update([1, 1], [5.0, 7.0])  # duplicate indices: the last value wins, sums stay right
    assert tree.total == pytest.approx(15.0)
    assert tree.get([1])[0] == 7.0


def test_prioritized_sampling_is_proportional_to_priority_alpha():
    """Chi-square goodness of fit of 100 000 draws against P(i) = p_i^alpha / sum_k p_k^alpha."""
    rng = np.random.default_rng(0)
    n, alpha = 20, 0.6
    mem = PrioritizedReplay(32, (1,), alpha=alpha, eps=0.0)
    for i in range(n):
        mem.add([i], 0, 0.0, [i], False)
    td = rng.uniform(0.05, 3.0, n)
    mem.update_priorities(np.arange(n), td)
    expected = td**alpha / np.sum(td**alpha)
    counts = np.zeros(n)
    for _ in range(2000):
        batch = mem.sample(50, rng, beta=0.4)
        counts += np.bincount(batch["idx"], minlength=n)
    chi2, pvalue = stats.chisquare(counts, counts.sum() * expected)
    assert pvalue > 1e-3, (chi2, pvalue)
    # and a clearly wrong hypothesis (uniform) is rejected by the same test
    assert stats.chisquare(counts, np.full(n, counts.sum() / n)).pvalue < 1e-6


def test_importance_weights_match_the_formula():
    rng = np.random.default_rng(1)
    mem = PrioritizedReplay(16, (2,), alpha=0.7, eps=1e-6)
    for i in range(10):
        mem.add([i, i], i % 2, 1.0, [i, i], False)
    mem.update_priorities(np.arange(10), rng.uniform(0.1, 2.0, 10))
    beta = 0.55
    batch = mem.sample(8, rng, beta=beta)
    p = mem.tree.get(batch["idx"]) / mem.tree.total
    w = (10 * p) ** -beta
    np.testing.assert_allclose(batch["weights"], w / w.max(), rtol=1e-6)
    np.testing.assert_allclose(batch["probs"], p)
    assert batch["weights"].max() == pytest.approx(1.0)


def test_new_transitions_get_the_maximal_priority():
    mem = PrioritizedReplay(8, (1,), alpha=0.5, eps=0.0)
    mem.add([0], 0, 0.0, [0], False)
    mem.update_priorities([0], [9.0])
    i = mem.add([1], 0, 0.0, [1], False)
    assert mem.tree.get([i])[0] == pytest.approx(9.0**0.5)
    mem.update_priorities([0], [0.25])  # max so far stays 9
    j = mem.add([2], 0, 0.0, [2], False)
    assert mem.tree.get([j])[0] == pytest.approx(3.0)


def test_uniform_replay_is_a_ring_buffer():
    mem = ReplayBuffer(3, (2,), np.uint8)
    for i in range(5):
        mem.add([i, i], i, float(i), [i + 1, i + 1], i == 4)
    assert len(mem) == 3
    assert sorted(mem.actions.tolist()) == [2, 3, 4]
    assert mem.obs.dtype == np.uint8
    batch = mem.sample(64, np.random.default_rng(0))
    assert batch["weights"] is None and set(batch["actions"].tolist()) <= {2, 3, 4}
    np.testing.assert_array_equal(batch["next_obs"][:, 0], batch["obs"][:, 0] + 1)
    with pytest.raises(BenchError):
        ReplayBuffer(0, (1,))


# -- schedules, returns, targets ---------------------------------------------------------------


def test_exponential_epsilon_matches_the_document():
    f = lambda s: schedules.exponential_epsilon(s, 1.0, 0.01, 0.0005)
    assert f(0) == pytest.approx(1.0)
    assert f(2000) == pytest.approx(0.01 + 0.99 * math.exp(-1.0))
    assert f(10**6) == pytest.approx(0.01)
    assert all(f(a) > f(a + 100) for a in range(0, 20000, 1000))


def test_linear_epsilon_with_delay():
    f = lambda s: schedules.linear_epsilon(s, 1.0, 0.01, 300, 5000)
    assert f(0) == f(300) == 1.0
    assert f(300 + 2500) == pytest.approx(0.505)
    assert f(5300) == pytest.approx(0.01) and f(50000) == pytest.approx(0.01)
    assert schedules.linear(0, 0.4, 1.0, 100) == 0.4 and schedules.linear(50, 0.4, 1.0, 100) == pytest.approx(0.7)
    assert schedules.linear(500, 0.4, 1.0, 100) == 1.0
    with pytest.raises(BenchError):
        schedules.epsilon_schedule({"eps_schedule": "cosine"})


def test_discounted_returns_and_normalisation():
    np.testing.assert_allclose(discounted_returns([1, 1, 1], 0.5), [1.75, 1.5, 1.0])
    np.testing.assert_allclose(discounted_returns([0, 0, 2], 0.9), [1.62, 1.8, 2.0])
    g = normalise(discounted_returns(np.ones(50), 0.95))
    assert abs(g.mean()) < 1e-12 and g.std() == pytest.approx(1.0)
    np.testing.assert_allclose(normalise([3.0, 3.0]), [0.0, 0.0])


def test_q_targets_modes_and_termination():
    r = np.array([1.0, 1.0, 0.5])
    term = np.array([0.0, 1.0, 0.0])
    online = np.array([[1.0, 3.0], [5.0, 6.0], [2.0, -1.0]])
    target = np.array([[10.0, 20.0], [50.0, 60.0], [7.0, 8.0]])
    g = 0.9
    np.testing.assert_allclose(q_targets(r, term, online, target, g, "online"), [1 + 2.7, 1.0, 0.5 + 1.8])
    np.testing.assert_allclose(q_targets(r, term, online, target, g, "target"), [1 + 18.0, 1.0, 0.5 + 7.2])
    # double: argmax from the online net (1, 1, 0), value from the target net
    np.testing.assert_allclose(q_targets(r, term, online, target, g, "double"), [1 + 18.0, 1.0, 0.5 + 6.3])


def test_td_loss_mse_huber_and_weights():
    q = np.array([[0.0, 1.0], [2.0, 0.0]])
    loss, td = td_loss(q, np.array([1, 0]), np.array([1.5, 5.0]), "mse")
    np.testing.assert_allclose(td, [0.5, 3.0])
    assert loss == pytest.approx((0.25 + 9.0) / 2)
    loss, _ = td_loss(q, np.array([1, 0]), np.array([1.5, 5.0]), "huber", 1.0, np.array([1.0, 0.5]))
    assert loss == pytest.approx((0.125 + 0.5 * 2.5) / 2)


# -- the interaction loop: truncation bootstraps, termination does not --------------------------


class _ZeroQ(QLearner):
    """A stand-in Q-learner: Q = 0 everywhere; records the batches it is trained on."""

    def __init__(self):
        super().__init__({}, 0)
        self.batches, self.synced = [], []

    def q_values(self, obs):
        return np.zeros((len(obs), 2), np.float32)

    target_q_values = q_values

    def update(self, batch, weights=None):
        raise AssertionError("the loop calls train_step")

    def train_step(self, batch, weights):
        self.batches.append(batch)
        self.last_td = np.zeros(len(batch["actions"]))
        return 0.0

    def sync_target(self, tau):
        self.synced.append(tau)

    def get_weights(self):
        return {}

    def set_weights(self, weights):
        pass


class _FixedPolicy(PolicyLearner):
    """A stand-in policy learner: pi = ``p`` everywhere; records the episodes it is trained on."""

    def __init__(self, p=(0.25, 0.75)):
        super().__init__({}, 0)
        self.p, self.episodes = np.asarray(p, np.float32), []

    def probs(self, obs):
        return np.tile(self.p, (len(obs), 1))

    def update(self, obs, actions, returns):
        self.episodes.append((len(obs), len(actions), len(returns)))
        return 0.0

    def get_weights(self):
        return {}

    def set_weights(self, weights):
        pass


def _loop(hp_over, env_id="CartPole-v1", max_steps=0, learner=None, algo="double_dqn"):
    from bench.specs import get
    from bench.specs.families.rl import env_desc
    from bench.train.rl import _Loop

    spec = get(algo)
    hp = spec.resolve("quick")
    hp.update(env_id=env_id, max_episode_steps=max_steps, reward_noise_std=0.0, eval_episodes=1, **hp_over)
    learner = learner if learner is not None else _ZeroQ()
    spec = type(spec)(**{**spec.__dict__, "evaluate": lambda l, d, h: {"eval_return": 0.0}})
    loop = _Loop(spec, learner, env_desc(hp), hp, 0, lambda: None, learner.train_step, None)
    return loop, loop.run(), learner


def test_time_limit_truncation_is_not_stored_as_terminal():
    loop, out, learner = _loop(dict(total_steps=200, eval_every=100, learn_start=10_000), max_steps=5)
    mem = loop.memory
    assert out["metrics"]["episodes"] >= 35  # episodes really ended (every 5 steps at most)
    # CartPole cannot fall within 5 steps from its start states: every episode end was a truncation
    assert mem.terminated[: len(mem)].sum() == 0


def test_termination_is_stored_as_terminal():
    loop, out, _ = _loop(dict(total_steps=300, eval_every=300, learn_start=10_000))
    mem = loop.memory
    ends = out["metrics"]["episodes"]
    assert ends >= 5 and mem.terminated[: len(mem)].sum() == ends  # random play: every end is a fall


def test_loop_trains_and_syncs_as_the_spec_says():
    _, out, learner = _loop(
        dict(total_steps=120, eval_every=60, learn_start=40, target_update="hard", target_update_every=10, batch_size=8)
    )
    # the first sync is the off-the-clock trace (a hard copy into an equal target), then one per 10 updates
    assert len(learner.batches) == 120 - 40 + 1 and learner.synced == [1.0] * (1 + len(learner.batches) // 10)
    assert out["status"] == "ok" and out["throughput"]["unit"] == "env steps/s" and len(out["curve"]) == 3
    _, _, learner = _loop(
        dict(total_steps=60, eval_every=60, learn_start=40, batch_size=8, target_update="soft", tau=0.08)
    )
    assert learner.synced == [1.0] + [0.08] * len(learner.batches)


def test_the_learner_type_chooses_the_loop():
    # a policy learner on a Q spec's settings still gets the policy-gradient loop: whole episodes
    _, out, learner = _loop(dict(total_steps=100, eval_every=100), learner=_FixedPolicy())
    assert out["status"] == "ok" and learner.episodes and all(a == b == c for a, b, c in learner.episodes)
    assert sum(n for n, _, _ in learner.episodes) == out["metrics"]["env_steps"] >= 100
    # a Q-learner on the REINFORCE spec's settings gets the replay loop
    _, out, learner = _loop(
        dict(total_steps=80, eval_every=80, learn_start=40, batch_size=8), learner=_ZeroQ(), algo="reinforce"
    )
    assert len(learner.batches) == 80 - 40 + 1 and out["metrics"]["updates"] == len(learner.batches)

    class NotAnAgent:
        def train_step(self, x, y):
            return 0.0

    with pytest.raises(TypeError, match="neither a QLearner nor a PolicyLearner"):
        _loop(dict(total_steps=10, eval_every=10), learner=NotAnAgent())


def test_greedy_action_is_the_argmax_of_q_or_pi():
    from bench.rl.evaluation import greedy_action

    obs, hp = np.zeros(4, np.float32), {"obs_scale": 1.0}
    assert greedy_action(_FixedPolicy((0.25, 0.75)), obs, hp) == 1
    assert greedy_action(_FixedPolicy((0.75, 0.25)), obs, hp) == 0
    q = _ZeroQ()
    q.q_values = lambda x: np.tile(np.float32([2.0, -1.0]), (len(x), 1))
    assert greedy_action(q, obs, hp) == 0


# -- environments ---------------------------------------------------------------------------------


def test_reward_noise_wrapper_is_normal_around_the_reward():
    env = make_env(EnvDesc("CartPole-v1", reward_noise_std=1.0), seed=3)
    seeded_reset(env, 3)
    rewards, raw = [], []
    for _ in range(3000):
        _, r, term, trunc, info = env.step(env.action_space.sample())
        rewards.append(r)
        raw.append(info["raw_reward"])
        if term or trunc:
            env.reset()
    assert set(raw) == {1.0}
    assert abs(np.mean(rewards) - 1.0) < 0.08 and abs(np.std(rewards) - 1.0) < 0.08
    eval_env = make_env(EnvDesc("CartPole-v1", reward_noise_std=1.0), seed=3, train=False)
    seeded_reset(eval_env, 0)
    assert eval_env.step(0)[1] == 1.0  # evaluation is never noisy


def test_same_seed_same_episode():
    def run(seed):
        env = make_env(EnvDesc("CartPole-v1"), seed)
        obs, _ = seeded_reset(env, seed)
        return obs, [env.action_space.sample() for _ in range(5)]

    a, b, c = run(1), run(1), run(2)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1] and not np.array_equal(a[0], c[0])


def test_atari_preprocessing_shapes_and_stack():
    env = make_env(EnvDesc("ALE/SpaceInvaders-v5", atari=True), seed=0)
    obs, _ = seeded_reset(env, 0)
    assert obs.shape == (105, 80, 3) and obs.dtype == np.uint8
    assert np.array_equal(obs[..., 0], obs[..., 2])  # the first frame, repeated
    frames = [obs]
    for _ in range(3):
        frames.append(env.step(0)[0])
    # each step shifts the stack by one frame
    np.testing.assert_array_equal(frames[2][..., :2], frames[1][..., 1:])
    np.testing.assert_array_equal(frames[3][..., 1], frames[2][..., 2])
    # greyscale halved by 2x2 averaging: compare with the emulator's own screen
    ale = env.unwrapped.ale
    full = ale.getScreenGrayscale()
    np.testing.assert_array_equal(
        frames[3][..., 2], np.rint(full.reshape(105, 2, 80, 2).mean(axis=(1, 3))).astype(np.uint8)
    )
    assert env.unwrapped._frameskip == 4  # skipping done once, by ALE


# -- bad input ------------------------------------------------------------------------------------


def test_unknown_environment_id_is_a_clear_error():
    with pytest.raises(BenchError, match="unknown environment id 'CartPoel-v1'"):
        make_env(EnvDesc("CartPoel-v1"), 0)


def test_cartpole_network_on_atari_is_a_clear_error():
    from bench.specs import get

    with pytest.raises(BenchError, match=r"takes observations of shape \(4,\).*SpaceInvaders"):
        get("double_dqn").resolve("quick", {"env_id": "ALE/SpaceInvaders-v5"})


def test_missing_atari_rom_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ALE_ROMS_DIR", str(tmp_path))
    with pytest.raises(BenchError, match="Atari ROM .* is missing"):
        make_env(EnvDesc("ALE/SpaceInvaders-v5", atari=True), 0)


def test_bad_budget_values_are_clear_errors():
    from bench.specs import get

    with pytest.raises(BenchError, match="reinforce setting 'total_steps' = 0 is out of range: it must be >= 1"):
        get("reinforce").resolve("quick", {"total_steps": "0"})


# every setting is checked in the parent: one line on stderr, exit 2, and no cell starts
BAD_SETTINGS = [
    ("dqn", "loss=l1", "dqn setting 'loss' = 'l1'; choose from: huber, mse"),
    ("double_dqn", "target_mode=dbl", "double_dqn setting 'target_mode' = 'dbl'; choose from: double, online, target"),
    ("double_dqn_hard", "target_update=never", "setting 'target_update' = 'never'; choose from: hard, none, soft"),
    ("per_ddqn_doc", "eps_schedule=cosine", "setting 'eps_schedule' = 'cosine'; choose from: exponential, linear"),
    ("dueling_ddqn", "dueling_agg=sum", "dueling_ddqn setting 'dueling_agg' = 'sum'; choose from: max, mean"),
    ("dqn", "eps_max=0.01", "dqn setting 'eps_min' = 0.05 must not exceed 'eps_max' = 0.01"),
    ("dqn", "huber_delta=0", "dqn setting 'huber_delta' = 0.0 is out of range: it must be > 0"),
    ("reinforce", "eps_steps=-1", "reinforce setting 'eps_steps' = -1 is out of range: it must be >= 0"),
    ("reinforce", "agent=dqn", "unknown setting 'agent' for reinforce"),
    (
        "dqn_doc",
        "n_actions=3",
        "dqn_doc's network takes observations of shape (4,) and 3 actions, but CartPole-v0 "
        "gives observations of shape (4,) and 2 actions",
    ),
    ("dqn", "env_id=Pendulum-v1", "dqn needs a discrete action space; Pendulum-v1 has Box("),
    ("dueling_ddqn_atari", "conv=1,1", "dueling_ddqn_atari setting 'conv' = "),
]


@pytest.mark.parametrize("algo, setting, message", BAD_SETTINGS, ids=[f"{a}-{s}" for a, s, _ in BAD_SETTINGS])
def test_bad_setting_is_one_line_before_any_cell_starts(algo, setting, message, tmp_path, capsys):
    from bench.cli.main import main

    code = main(
        ["run", "--algo", algo, "--backend", "torch", "--set", setting, "--results-dir", str(tmp_path)]
        + ["--no-progress", "--no-history"]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("bench: error: ") and message in err and err.count("\n") == 1, err
    assert not list(tmp_path.iterdir())


def test_conv_trunk_must_leave_a_feature_map():
    from bench.specs import get

    spec = get("dueling_ddqn_atari")
    hp = spec.resolve("quick")
    with pytest.raises(BenchError, match=r"'conv' = \(\(16, 8, 4\), \(32, 64, 2\)\) leaves no feature map"):
        spec.validate(dict(hp, conv=((16, 8, 4), (32, 64, 2))))
    with pytest.raises(BenchError, match="'conv' needs image observations"):
        get("dqn").validate(dict(get("dqn").resolve("quick"), conv=((16, 2, 1),)))
