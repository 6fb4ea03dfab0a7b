"""``get_weights()`` returns copies (bench.core.interface): for every (spec, backend) in the registry,
the arrays it returned before a training step are unchanged after it, while the learner's own
weights did move."""

import numpy as np
import pytest

from bench import specs
from bench.config import RunConfig
from bench.rl.agent import PolicyLearner, QLearner
from bench.specs import registry
from bench.train.runner import build_learner

pytestmark = pytest.mark.filterwarnings("ignore")
# ResNet50 (transfer, from pretrained weights or on CIFAR-10) and Atari: seconds to minutes each
SLOW = ("transfer_resnet50", "resnet50_cifar10", "dueling_ddqn_atari")
N = 4  # examples in the training batch
_DATA = {}

# what copying the weights has nothing to do with, made small: the ResNet nets' depth (tracing ten
# blocks takes most of the test's time)
SMALLER = {"resnet10": {"blocks": 2}, "plain10": {"blocks": 2}}
CASES = [
    pytest.param(name, backend, id=f"{name}-{backend}", marks=[pytest.mark.slow] if name in SLOW else [])
    for name in specs.names()
    for backend in registry.backends_for(name, include_reference=True)
]


def _supervised_batch(spec, hp):
    if spec.name not in _DATA:
        data = spec.load_data(hp, 0)
        _DATA[spec.name] = (data.x_train[:N], data.y_train[:N])
    return _DATA[spec.name]


def _train_once(learner, spec, hp):
    rng = np.random.default_rng(0)
    if isinstance(learner, (QLearner, PolicyLearner)):
        obs = rng.uniform(0, 1, (N, *hp["obs_shape"])).astype(np.float32)
        actions = rng.integers(0, hp["n_actions"], N)
        if isinstance(learner, PolicyLearner):
            return learner.train_step({"obs": obs, "actions": actions}, rng.normal(0, 1, N).astype(np.float32))
        batch = {
            "obs": obs,
            "actions": actions,
            "rewards": rng.normal(1, 1, N).astype(np.float32),
            "next_obs": rng.uniform(0, 1, obs.shape).astype(np.float32),
            "terminated": np.zeros(N, np.float32),
        }
        return learner.train_step(batch, None)
    if spec.kind == "prediction":
        from bench.train.parity import episode_args

        return learner.train_step(*episode_args(spec.load_data(hp, 0), 0))
    return learner.train_step(*_supervised_batch(spec, hp))


@pytest.mark.parametrize("name, backend", CASES)
def test_get_weights_returns_copies(name, backend):
    cell = RunConfig.create(name, backend, overrides=SMALLER.get(name))
    spec, hp = cell.spec, cell.hp
    learner = build_learner(spec, hp, backend, seed=0)
    snapshot = learner.get_weights()
    kept = {k: v.copy() for k, v in snapshot.items()}
    _train_once(learner, spec, hp)
    after = learner.get_weights()
    assert any(not np.array_equal(after[k], kept[k]) for k in kept), f"{name}/{backend}: the step changed no weight"
    changed = [k for k in kept if not np.array_equal(snapshot[k], kept[k])]
    assert not changed, f"{name}/{backend}: get_weights() returned live arrays: {changed}"
