"""Gradient Monte Carlo and semi-gradient TD(0) on the 1000-state random walk: the exact values and
distributions against simulation and dynamic programming, the two limits (MC optimum, TD fixed
point), the episodes, the per-update parity of the backends with the numpy reference (the
spec's tolerances), learning on the quick budget, and bad settings."""

import numpy as np
import pytest

from bench import specs
from bench.cli.main import main
from bench.config import RunConfig
from bench.core import backends
from bench.core.data import random_walk as rw
from bench.execute.local import LocalExecutor
from bench.reporting.schema import x_axis
from bench.specs import registry
from bench.train.runner import build_learner
from bench.train.value import _Loop

WALK = rw.Walk()
ALGOS = ("gradient_mc", "semi_gradient_td0")
FRAMEWORKS = ("tf", "torch", "keras")


@pytest.fixture(scope="module")
def episodes():
    return rw.generate(WALK, 5000, seed=0)


# the task: exact values against dynamic programming and simulation ------------------------------
def test_true_values_have_the_books_shape_and_equal_iterative_policy_evaluation():
    v = rw.true_values(WALK)
    assert np.abs(v + v[::-1]).max() < 1e-12  # v(s) = -v(1001 - s): the walk is symmetric
    assert (np.diff(v) > 0).all()  # increasing from the left edge to the right edge
    assert -0.93 < v[0] < -0.91 and 0.91 < v[-1] < 0.93  # the ends of Figure 9.1's v_pi curve
    # nearly linear in the middle (slope ~ 2/1000 per state), curved near the edges
    assert abs((v[599] - v[399]) / 200 - 0.002) < 2e-4
    dp, sweeps = rw.policy_evaluation(WALK, theta=1e-11)
    assert sweeps > 10 and np.abs(dp - v).max() < 1e-9


def test_model_rows_and_the_edges():
    P, left, right = rw.model(WALK)
    np.testing.assert_allclose(P.sum(1) + left + right, 1.0, atol=1e-12)
    assert left[0] == pytest.approx(0.5) and right[0] == 0.0  # state 1: all 100 left jumps end it
    assert left[100] == 0.0 and right[899] == 0.0 and right[900] == pytest.approx(0.005)


def test_episodes_match_the_exact_model(episodes):
    s, off = episodes.states, episodes.offsets
    assert (s >= 1).all() and (s <= 1000).all()
    assert (s[off[:-1]] == WALK.start).all()
    jumps = np.diff(s.astype(int))
    inner = np.ones(len(jumps), bool)
    inner[off[1:-1] - 1] = False  # the jump from an episode's last state to the next's start
    assert (np.abs(jumps[inner]) <= 100).all() and (jumps[inner] != 0).all()
    last = s[off[1:] - 1]
    assert (last[episodes.rewards > 0] > 900).all() and (last[episodes.rewards < 0] <= 100).all()
    # exit side: P(right) = (1 + v(500)) / 2; episode length: the expected visits' sum
    p_right = (1 + rw.true_values(WALK)[WALK.start - 1]) / 2
    n = episodes.count
    assert abs((episodes.rewards > 0).mean() - p_right) < 4 * np.sqrt(p_right * (1 - p_right) / n)
    lengths = episodes.lengths()
    assert abs(lengths.mean() - rw.expected_length(WALK)) < 4 * lengths.std() / np.sqrt(n)
    # visit frequencies against mu (total variation over the 10 groups)
    g = rw.groups(WALK, 10)
    seen = np.bincount(g[s - 1], minlength=10) / len(s)
    assert np.abs(seen - np.bincount(g, rw.on_policy_distribution(WALK), 10)).sum() / 2 < 0.01


def test_episodes_are_the_same_for_a_seed_and_differ_between_seeds():
    a, b, c = rw.generate(WALK, 50, 3), rw.generate(WALK, 50, 3), rw.generate(WALK, 50, 4)
    np.testing.assert_array_equal(a.states, b.states)
    np.testing.assert_array_equal(a.rewards, b.rewards)
    assert not np.array_equal(a.offsets, c.offsets) or not np.array_equal(a.states, c.states)


def test_on_policy_distribution_and_the_start_state():
    mu = rw.on_policy_distribution(WALK)
    assert mu.sum() == pytest.approx(1.0) and mu.argmax() == WALK.start - 1
    # about 1.14 visits per episode in the start state, 0.14 in its neighbours (83.15 steps per episode)
    eta = mu * rw.expected_length(WALK)
    assert 1.1 < eta[WALK.start - 1] < 1.2 and 0.13 < eta[WALK.start] < 0.15
    assert rw.expected_length(WALK) == pytest.approx(83.15, abs=0.01)


# the two limits ----------------------------------------------------------------------------------
def _ve(w):
    return rw.value_error(rw.features(WALK, 10) @ w, WALK)


def test_mc_optimum_minimises_ve():
    w = np.array(rw.mc_optimum(WALK, 10))
    best = _ve(w)
    assert best == pytest.approx(0.054377, abs=1e-6)  # golden: 10 groups, start 500
    for g in range(10):
        for eps in (1e-3, -1e-3):
            moved = w.copy()
            moved[g] += eps
            assert _ve(moved) > best
    # each weight is the mu-weighted mean of v_pi over its group, so it lies inside the group's values
    v = rw.true_values(WALK)
    assert all(v[100 * g] < w[g] < v[100 * g + 99] for g in range(10))


def _sampled_expected_td_update(w, episodes, gamma=1.0):
    """The mean over all updates of delta_t x(S_t) (the expected TD(0) update direction, sampled
    on-policy) and its standard error, with episodes as independent units."""
    inputs = rw.update_inputs(episodes, "semi_gradient_td0", gamma)
    g = rw.groups(WALK, 10)
    v_hat = w[g]
    delta = inputs["rewards"] + inputs["discounts"] * v_hat[inputs["next_states"] - 1] - v_hat[inputs["states"] - 1]
    per_update = np.zeros((len(delta), 10))
    per_update[np.arange(len(delta)), g[inputs["states"] - 1]] = delta
    sums = np.add.reduceat(per_update, episodes.offsets[:-1], axis=0)  # one row per episode
    lengths = episodes.lengths()
    mean = sums.sum(0) / lengths.sum()
    resid = sums - np.outer(lengths, mean)  # ratio estimator's residuals
    se = np.sqrt((resid**2).sum(0)) / lengths.sum()
    return mean, se


def test_td_fixed_point_zeroes_the_sampled_expected_update_and_is_worse_than_the_mc_optimum(episodes):
    w_td, w_mc = np.array(rw.td_fixed_point(WALK, 10)), np.array(rw.mc_optimum(WALK, 10))
    # the exact expected update b - A w, per update (mu-weighted): zero at w_TD, not at w_MC
    P, left, right = rw.model(WALK)
    X, mu = rw.features(WALK, 10), rw.on_policy_distribution(WALK)
    exact_at_mc = X.T @ (mu * (right - left + P @ X @ w_mc - X @ w_mc))
    mean_td, se_td = _sampled_expected_td_update(w_td, episodes)
    mean_mc, se_mc = _sampled_expected_td_update(w_mc, episodes)
    assert (np.abs(mean_td) < 4 * se_td + 1e-12).all()
    assert (np.abs(mean_mc - exact_at_mc) < 4 * se_mc + 1e-12).all()
    assert np.abs(exact_at_mc / se_mc).max() > 5  # the sample can tell that w_MC is not the fixed point
    # the book's Figure 9.2 (left): TD's asymptote is worse than MC's
    assert _ve(w_td) == pytest.approx(0.116735, abs=1e-6)  # golden
    assert _ve(w_td) > _ve(w_mc) + 0.05


def test_update_inputs_of_both_methods():
    e = rw.generate(WALK, 3, 1)
    off = e.offsets
    mc = rw.update_inputs(e, "gradient_mc", 0.9)
    td = rw.update_inputs(e, "semi_gradient_td0", 0.9)
    for i in range(3):
        a, b, r = off[i], off[i + 1], e.rewards[i]
        np.testing.assert_allclose(mc["rewards"][a:b], r * 0.9 ** np.arange(b - a - 1, -1, -1), rtol=1e-6)
        assert (mc["discounts"][a:b] == 0).all()
        assert (td["rewards"][a : b - 1] == 0).all() and td["rewards"][b - 1] == r
        assert (td["discounts"][a : b - 1] == np.float32(0.9)).all() and td["discounts"][b - 1] == 0
        np.testing.assert_array_equal(td["next_states"][a : b - 1], e.states[a + 1 : b])


# the backends: parity after every update ----------------------------------------------------------
def _one_at_a_time(learner, x, y, w0):
    learner.set_weights(w0)
    out = []
    for t in range(len(y)):
        learner.train_step({k: v[t : t + 1] for k, v in x.items()}, y[t : t + 1])
        out.append(learner.get_weights()["value/kernel"][:, 0].astype(np.float64))
    return np.array(out)


@pytest.mark.parametrize("algo", ALGOS)
def test_every_update_agrees_with_the_numpy_reference(algo):
    """From the same random weights and the same episodes, after every update: each framework
    against the float32 reference within the spec's tolerance, and float32 against exact (float64)
    arithmetic within the stated drift; one call for the whole episode ends where the one-update
    calls end."""
    for b in FRAMEWORKS:
        backends.setup(b, "cpu", 0, 1)
    spec = specs.get(algo)
    tol, drift = spec.tolerances["weights_atol"], spec.tolerances["float64_drift_atol"]
    hp = spec.resolve("full", {"episodes": "40"})
    data = spec.load_data(hp, 0)
    off = data.episodes.offsets
    longest = int(np.argmax(data.episodes.lengths()))
    chosen = [0, 1, 2, longest]
    w0 = {"value/kernel": np.random.default_rng(1).uniform(-1, 1, (10, 1)).astype(np.float32)}
    learners = {b: build_learner(spec, hp, b, 0) for b in (*FRAMEWORKS, "numpy")}
    exact = registry.implementation(algo, "numpy")(hp, 0, dtype=np.float64)
    for i in chosen:
        x, y = _Loop._args(data.inputs, off[i], off[i + 1])
        ref = _one_at_a_time(learners["numpy"], x, y, w0)
        assert np.abs(_one_at_a_time(exact, x, y, w0) - ref).max() <= drift
        for b in FRAMEWORKS:
            got = _one_at_a_time(learners[b], x, y, w0)
            assert np.abs(got - ref).max() <= tol, (b, i)
            learners[b].set_weights(w0)
            learners[b].train_step(x, y)
            assert np.abs(learners[b].get_weights()["value/kernel"][:, 0] - got[-1]).max() <= tol, (b, i)
            states = np.arange(1, 1001, dtype=np.int32)
            np.testing.assert_allclose(learners[b].predict(states), learners["numpy"].predict(states), atol=tol)
    assert len(y) == data.episodes.lengths()[longest] and len(y) > 150


def test_the_td_target_carries_no_gradient_and_terminal_is_zero():
    """One TD(0) update by hand: only the current state's group moves, by alpha * delta, with
    delta = gamma v_hat(S') - v_hat(S) (or R - v_hat(S) on the last step)."""
    spec = specs.get("semi_gradient_td0")
    hp = spec.resolve("full", {"lr": "0.5"})
    w0 = {"value/kernel": np.linspace(-0.9, 0.9, 10, dtype=np.float32)[:, None]}
    x = {
        "states": np.array([150, 950], np.int32),
        "next_states": np.array([650, 950], np.int32),
        "discounts": np.array([1.0, 0.0], np.float32),
    }
    y = np.array([0.0, 1.0], np.float32)
    w = w0["value/kernel"][:, 0].astype(np.float64)
    expected = [w.copy(), w.copy()]
    expected[0][1] += 0.5 * (w[6] - w[1])
    expected[1] = expected[0].copy()
    expected[1][9] += 0.5 * (1.0 - w[9])
    for b in (*FRAMEWORKS, "numpy"):
        backends.setup(b, "cpu", 0, 1)
        got = _one_at_a_time(build_learner(spec, hp, b, 0), x, y, w0)
        np.testing.assert_allclose(got, np.array(expected), atol=1e-6, err_msg=b)


# learning on the quick budget ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def quick_results():
    """The quick-budget cells of both algorithms on every backend, two at a time (each in its own
    process, as ``bench run --jobs 2 --quality-only`` runs them: quality is what is checked)."""
    cells = [RunConfig.create(a, b, budget="quick", exclusive=False) for a in ALGOS for b in (*FRAMEWORKS, "numpy")]
    return {(cell.algo, cell.backend): r for cell, r in LocalExecutor(jobs=2).run(cells, timeout_s=900)}


@pytest.mark.parametrize("algo", ALGOS)
def test_quick_budget_learns_the_same_on_every_backend(quick_results, algo):
    spec = specs.get(algo)
    hp = spec.resolve("quick")
    ref = quick_results[algo, "numpy"]
    for b in (*FRAMEWORKS, "numpy"):
        r = quick_results[algo, b]
        assert r.status == "ok", (b, r.error)
        ve = [p.metrics["ve"] for p in r.curve]
        assert ve[0] == pytest.approx(0.40544, abs=1e-4)  # v_hat = 0 before the first update
        assert ve[-1] < 0.3 and max(ve[-3:]) < ve[0] - 0.1, (b, ve)
        # the same episodes and the same float32 updates: the same curve on every backend
        np.testing.assert_allclose(ve, [p.metrics["ve"] for p in ref.curve], atol=1e-5, err_msg=b)
        assert [x_axis(r.kind).of(p) for p in r.curve] == list(range(0, hp["episodes"] + 1, hp["eval_every"]))
        assert r.kind == "prediction" and r.throughput.unit == "updates/s"
        assert r.throughput.n == hp["episodes"] // hp["eval_every"] and r.compile_s > 0
        assert r.metrics["updates"] == r.steps == r.curve[-1].updates > 20000
        assert r.metrics["update_latency_us"] > 0 and r.metrics["ve_reference"] == pytest.approx(
            0.054377 if algo == "gradient_mc" else 0.116735, abs=1e-6
        )
        assert len(r.metrics["v_hat_groups"]) == 10


# bad settings: one line, exit 2, before any cell -----------------------------------------------------
@pytest.mark.parametrize(
    "setting,expected",
    [
        ("lr=0", "setting 'lr' = 0.0 is out of range: it must be > 0"),
        ("lr=-1e-5", "setting 'lr' = -1e-05 is out of range: it must be > 0"),
        ("n_groups=7", "setting 'n_groups' = 7 does not divide n_states = 1000"),
        ("n_groups=0", "setting 'n_groups' = 0 is out of range: it must be >= 1"),
        ("gamma=0", "setting 'gamma' = 0.0 is out of range: it must be in (0, 1]"),
        ("gamma=1.5", "setting 'gamma' = 1.5 is out of range: it must be in (0, 1]"),
        ("start_state=0", "setting 'start_state' = 0 is out of range: it must be in [1, 1000]"),
        ("method=sarsa", "setting 'method' = 'sarsa'; choose from: gradient_mc, semi_gradient_td0"),
    ],
)
@pytest.mark.parametrize("algo", ALGOS)
def test_bad_settings_are_one_line_and_exit_2(capsys, tmp_path, algo, setting, expected):
    assert main(["run", "--algo", algo, "--set", setting, "--results-dir", str(tmp_path), "--no-history"]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1 and "Traceback" not in err
    assert not list(tmp_path.iterdir())  # no cell started


def test_figures_and_speed_table_from_saved_results(quick_results, tmp_path, capsys):
    from bench.reporting import store as results
    from tools import value_plot

    for r in quick_results.values():
        results.save(r, tmp_path)
    assert value_plot.main([str(tmp_path), str(tmp_path / "img")]) == 0
    out = capsys.readouterr().out
    assert {p.name for p in (tmp_path / "img").iterdir()} == {f"value_prediction_{a}.png" for a in ALGOS}
    rows = [line for line in out.splitlines() if line.startswith("| gradient_mc") or line.startswith("| semi_")]
    assert len(rows) == 8 and all(" | 1.0x | " in r for r in rows if "| numpy |" in r)
    assert value_plot.main([str(tmp_path / "missing"), str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
