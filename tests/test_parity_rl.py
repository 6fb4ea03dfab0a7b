"""The three backends' RL network sides against the harness's numpy reference
(bench.rl.returns), from the same random weights (larger than the canonical initialisation, with
non-zero biases): one update on the same batch gives the loss and TD errors of the reference
(<= 1e-5); the target network is the online one after ``set_weights`` and follows soft and hard
updates; the dueling aggregation is what the setting says; REINFORCE's loss is the reference's
and the harness samples the same actions from every backend's probabilities.

(The Q-values and probabilities at the canonical initial weights and the first two losses of
every RL spec are compared across backends by the generated parity tests, tests/test_generated.py.)"""

import numpy as np
import pytest
from support import backends, build, reference_backend

from bench.rl.returns import q_targets, td_loss

pytestmark = pytest.mark.filterwarnings("ignore")
ATOL = 1e-5


def learners(algo, over):
    """(hp, {backend: learner}), and the reference backend's learner first."""
    out = {b: build(algo, b, over) for b in sorted(backends(algo), key=lambda b: b != reference_backend(algo))}
    return next(iter(out.values()))[1], {b: learner for b, (learner, _, _) in out.items()}


def random_weights(learner, seed=0, scale=0.3):
    rng = np.random.default_rng(seed)
    w = learner.get_weights()
    return {
        k: (
            rng.normal(0, scale / np.sqrt(max(1, np.prod(v.shape[:-1]))), v.shape)
            + (0.05 if k.endswith("bias") else 0.0)
        ).astype(np.float32)
        for k, v in w.items()
    }


def batch_for(hp, n=16, seed=1):
    rng = np.random.default_rng(seed)
    shape = tuple(hp["obs_shape"])
    obs = rng.uniform(-1, 1, (n, *shape)).astype(np.float32)
    nxt = rng.uniform(-1, 1, (n, *shape)).astype(np.float32)
    if hp["atari"]:
        obs, nxt = (obs + 1) / 2, (nxt + 1) / 2
    return {
        "obs": obs,
        "next_obs": nxt,
        "actions": rng.integers(0, hp["n_actions"], n),
        "rewards": rng.normal(1, 1, n).astype(np.float32),
        "terminated": (rng.random(n) < 0.3).astype(np.float32),
    }


CASES = {
    "dqn-online-mse": ("dqn_doc", {}),
    "dqn-target-huber": ("dqn", {}),
    "double-soft": ("double_dqn", {}),
    "dueling-mean": ("dueling_ddqn", {}),
    "dueling-max": ("dueling_ddqn", {"dueling_agg": "max"}),
    "per-weights": ("per_ddqn", {}),
    "atari-conv-dueling": ("dueling_ddqn_atari", {}),
}


def state_values(w, obs):
    """V(s) of a dense dueling network, in numpy from its canonical weights."""
    x, i = obs.astype(np.float64), 1
    while f"dense{i}/kernel" in w:
        x = np.maximum(x @ w[f"dense{i}/kernel"] + w[f"dense{i}/bias"], 0)
        i += 1
    if "v_dense/kernel" in w:
        x = np.maximum(x @ w["v_dense/kernel"] + w["v_dense/bias"], 0)
    return (x @ w["v_out/kernel"] + w["v_out/bias"])[:, 0]


@pytest.mark.parametrize("case", list(CASES))
def test_loss_and_td_errors_are_the_reference(case):
    algo, over = CASES[case]
    hp, ls = learners(algo, over)
    ref_w = random_weights(next(iter(ls.values())))
    for l in ls.values():
        l.set_weights(ref_w)
    batch = batch_for(hp, 8 if hp["atari"] else 16)
    weights = (
        np.random.default_rng(2).uniform(0.2, 1.0, len(batch["actions"])).astype(np.float32)
        if hp["prioritized"]
        else None
    )
    q = {b: l.q_values(batch["obs"]) for b, l in ls.items()}
    for b, l in ls.items():  # set_weights copies the online network into the target network
        np.testing.assert_allclose(l.target_q_values(batch["obs"]), q[b], atol=ATOL, rtol=1e-5, err_msg=b)
    if hp["dueling"] and not hp["atari"]:  # Q = V + A - agg(A), so agg over the actions of Q is V
        agg, other = (np.max, np.mean) if hp["dueling_agg"] == "max" else (np.mean, np.max)
        v = state_values(ref_w, batch["obs"])
        assert min(np.abs(other(q[b], axis=1) - v).min() for b in q) > 1e-2  # the other aggregation would not pass
        for b in ls:
            np.testing.assert_allclose(agg(q[b], axis=1), v, atol=1e-5, rtol=1e-5, err_msg=f"{b}: {hp['dueling_agg']}")
    # numpy reference of the update's loss and TD errors from the pre-update Q-values
    ql = ls["torch"]
    y = q_targets(
        batch["rewards"].astype(np.float64),
        batch["terminated"],
        ql.q_values(batch["next_obs"]).astype(np.float64),
        ql.target_q_values(batch["next_obs"]).astype(np.float64),
        hp["gamma"],
        hp["target_mode"],
    )
    ref_loss, ref_td = td_loss(
        q["torch"].astype(np.float64), batch["actions"], y, hp["loss"], hp["huber_delta"], weights
    )
    for b, l in ls.items():
        loss, td = l.update(batch, weights)
        np.testing.assert_allclose(np.asarray(td), ref_td, atol=ATOL, rtol=1e-5, err_msg=f"TD errors {b}")
        assert float(loss) == pytest.approx(ref_loss, rel=1e-5, abs=ATOL), b


def test_after_one_update_the_backends_still_agree():
    hp, ls = learners("double_dqn", {})
    w = random_weights(next(iter(ls.values())), seed=3)
    batch = batch_for(hp, 32, seed=4)
    for l in ls.values():
        l.set_weights(w)
        l.update(batch)
    q = {b: l.q_values(batch["obs"]) for b, l in ls.items()}
    # the same Adam formula in every backend (Keras's; impls/torch/_optim.py)
    for b in ls:
        np.testing.assert_allclose(q[b], q["tf"], atol=ATOL)
    assert not np.allclose(q["tf"], ls["tf"].target_q_values(batch["obs"]))  # the update moved the online net


@pytest.mark.parametrize("backend", backends("double_dqn"))
def test_soft_and_hard_target_updates(backend):
    l, hp, _ = build("double_dqn", backend)
    w0 = random_weights(l, seed=5)
    l.set_weights(w0)
    batch = batch_for(hp, 32)
    l.update(batch)
    w1 = l.get_weights()
    l.sync_target(0.08)
    probe, _, _ = build("double_dqn", backend)
    probe.set_weights({k: 0.08 * w1[k] + 0.92 * w0[k] for k in w0})
    np.testing.assert_allclose(l.target_q_values(batch["obs"]), probe.q_values(batch["obs"]), atol=ATOL)
    l.sync_target(1.0)
    np.testing.assert_allclose(l.target_q_values(batch["obs"]), l.q_values(batch["obs"]), atol=ATOL)


def test_policy_probabilities_and_reinforce_loss_agree():
    hp, ls = learners("reinforce", {})
    w = random_weights(next(iter(ls.values())), seed=6, scale=1.0)
    for l in ls.values():
        l.set_weights(w)
    rng = np.random.default_rng(7)
    obs = rng.uniform(-1, 1, (40, 4)).astype(np.float32)
    actions = rng.integers(0, 2, 40)
    returns = rng.normal(0, 1, 40).astype(np.float32)
    p = {b: l.probs(obs) for b, l in ls.items()}
    rb = reference_backend("reinforce")
    np.testing.assert_allclose(p[rb].sum(1), 1.0, atol=1e-6)
    ref = -np.mean(returns * np.log(p["torch"][np.arange(40), actions].astype(np.float64)))
    for b, l in ls.items():
        assert float(l.update(obs, actions, returns)) == pytest.approx(ref, rel=1e-5, abs=ATOL), b
    p2 = {b: l.probs(obs) for b, l in ls.items()}
    for b in ls:
        np.testing.assert_allclose(p2[b], p2["tf"], atol=ATOL)  # the same Adam formula (see above)
    # the harness samples actions from these probabilities with its own generator: identical
    acts = {b: [l.act(obs[i], np.random.default_rng(i)) for i in range(40)] for b, l in ls.items()}
    assert all(a == acts[rb] for a in acts.values()), acts


def test_weights_round_trip_and_shape_errors():
    hp, ls = learners("dueling_ddqn_atari", {})
    w = random_weights(ls["torch"])
    assert w["conv1/kernel"].shape == (8, 8, 3, 16) and w["adv_dense/kernel"].shape == (11 * 8 * 32, 256)
    for l in ls.values():
        l.set_weights(w)
        back = l.get_weights()
        for k in w:
            np.testing.assert_array_equal(back[k], w[k])
    bad = dict(w, **{"v_out/kernel": np.zeros((3, 1), np.float32)})
    with pytest.raises(ValueError, match="v_out/kernel"):
        ls["keras"].set_weights(bad)
