"""Population BatchNorm statistics (bench.core.bnstats): exact pooling of per-batch moments, the swap
and restore of the moving statistics, and, per backend, the identity that pins the whole chain:
with the population statistics of one batch, inference mode on that batch reproduces the
training-mode loss (dropout off)."""

import numpy as np
import pytest
from support import backends, build

from bench.core.bnstats import population_statistics, population_stats
from bench.core.metrics import binary_cross_entropy

OVERRIDES = {"n_train": 48, "n_eval": 16}


class Moments:
    """A stand-in learner with two 'BatchNorm layers' that see x and 2x + 1 (per column)."""

    def __init__(self):
        self.weights = {
            "a/moving_mean": np.zeros(3, np.float32),
            "a/moving_variance": np.ones(3, np.float32),
            "b/moving_mean": np.zeros(3, np.float32),
            "b/moving_variance": np.ones(3, np.float32),
            "k/kernel": np.arange(3, dtype=np.float32),
        }
        self.batches = []

    def bn_batch_stats(self, x):
        self.batches.append(len(x))
        return {"a": (x.mean(0), x.var(0)), "b": ((2 * x + 1).mean(0), (2 * x + 1).var(0))}

    def get_weights(self):
        return {k: v.copy() for k, v in self.weights.items()}

    def set_weights(self, w):
        self.weights = {k: np.array(v) for k, v in w.items()}


def test_pooled_moments_are_those_of_the_whole_set():
    x = np.random.default_rng(0).normal(3.0, 2.0, (10, 3)) * np.array([1.0, 10.0, 0.1])
    learner = Moments()
    stats = population_stats(learner, x, batch_size=4)
    assert learner.batches == [4, 4, 2]  # the short last batch counts for 2, not 4
    np.testing.assert_allclose(stats["a"][0], x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats["a"][1], x.var(0), rtol=1e-10)
    np.testing.assert_allclose(stats["b"][1], 4 * x.var(0), rtol=1e-10)
    # the mean of the batch variances is not the population variance (it misses the spread of
    # the batch means): the pooled figure must not be that
    assert not np.allclose(stats["a"][1], np.mean([x[:4].var(0), x[4:8].var(0), x[8:].var(0)], 0))


def test_statistics_swapped_in_then_restored():
    x = np.random.default_rng(1).normal(size=(6, 3))
    learner = Moments()
    before = learner.get_weights()
    with population_statistics(learner, x, batch_size=6):
        np.testing.assert_allclose(learner.weights["b/moving_mean"], (2 * x + 1).mean(0), rtol=1e-6)
        np.testing.assert_allclose(learner.weights["a/moving_variance"], x.var(0), rtol=1e-6)
        assert learner.weights["a/moving_mean"].dtype == np.float32
        np.testing.assert_array_equal(learner.weights["k/kernel"], before["k/kernel"])
    for k, v in before.items():
        np.testing.assert_array_equal(learner.weights[k], v)


def test_no_examples_is_an_error():
    with pytest.raises(ValueError, match="at least one example"):
        population_stats(Moments(), np.zeros((0, 3)), 4)


@pytest.fixture(scope="module")
def cats():
    _, hp, spec = build("gap_head_fc", "torch", OVERRIDES)
    return spec, hp, spec.load_data(hp, 0)


@pytest.mark.parametrize("backend", backends("gap_head_fc"))
def test_population_statistics_of_one_batch_give_the_training_mode_loss(cats, backend):
    spec, hp, data = cats
    learner, _, _ = build("gap_head_fc", backend, OVERRIDES)
    for i in range(2):  # move the weights and the moving statistics away from their start
        learner.train_step(data.x_train[16 * i : 16 * (i + 1)], data.y_train[16 * i : 16 * (i + 1)])
    x, y = data.x_train[16:48], data.y_train[16:48]
    plain = binary_cross_entropy(learner.predict(x), y)  # the moving statistics (2 updates old)
    with population_statistics(learner, x, batch_size=len(x)):
        pop = binary_cross_entropy(learner.predict(x), y)
    train = float(learner.train_step(x, y))  # computed before the update, batch statistics
    print(f"\n{backend}: moving {plain:.6f}, population {pop:.6f}, training mode {train:.6f}")
    assert abs(plain - train) > 1e-3  # else the check below could not tell the statistics apart
    np.testing.assert_allclose(pop, train, rtol=1e-5)


def test_cats_specs_score_with_population_statistics_too(cats):
    spec, hp, data = cats
    learner, _, _ = build("gap_head_fc", "torch", OVERRIDES)
    learner.train_step(data.x_train[:16], data.y_train[:16])
    before = learner.get_weights()
    out = spec.evaluate(learner, data, hp)
    assert {"val_acc", "val_acc_pop_bn", "train_acc_pop_bn", "val_loss_pop_bn"} <= set(out)
    assert out["val_loss_pop_bn"] != out["val_loss"]
    for k, v in learner.get_weights().items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)
