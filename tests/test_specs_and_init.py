"""The spec mechanics (budgets, overrides) and the canonical initial weights."""

import math

import numpy as np
import pytest
from protocols import required_tolerances

from bench import specs
from bench.core.errors import BenchError
from bench.core.initial_weights import fans, initial_weights
from bench.specs.base import parse_overrides
from bench.train.runner import DRIVERS


def test_budget_and_overrides_resolve_with_types():
    spec = specs.get("linreg")
    quick, full = spec.resolve("quick"), spec.resolve("full")
    assert quick["epochs"] < full["epochs"]
    hp = spec.resolve("full", {"lr": "1e-4", "epochs": "7", "shuffle": "yes"})
    assert hp["lr"] == 1e-4 and hp["epochs"] == 7 and hp["shuffle"] is True
    assert spec.hparams["epochs"] == full["epochs"]  # the spec itself is untouched


def test_tuple_settings_parse_from_comma_lists():
    spec = specs.get("dqn")
    assert spec.resolve("full", {"hidden": "64,64"})["hidden"] == (64, 64)
    assert spec.resolve("full", {"hidden": "(32, 16, 8)"})["hidden"] == (32, 16, 8)
    with pytest.raises(BenchError, match="bad value 'wide,64' for dqn setting 'hidden'"):
        spec.resolve("full", {"hidden": "wide,64"})


def test_parse_overrides():
    assert parse_overrides(["a=1", " b = x "]) == {"a": "1", "b": "x"}
    for bad in ("a", "a=", "=1", "a b=1"):
        with pytest.raises(BenchError, match="malformed --set"):
            parse_overrides([bad])


def test_every_spec_is_complete():
    for name, spec in specs.all_specs().items():
        assert spec.name == name and spec.kind in DRIVERS, f"{name}: no driver for kind {spec.kind!r}"
        assert set(spec.budgets) == set(specs.BUDGETS), name
        for budget in specs.BUDGETS:
            hp = spec.resolve(budget)
            assert set(hp) == set(spec.hparams), f"{name}: budget {budget} adds unknown settings"
        assert spec.source and spec.metric
        # the tolerances the generated parity tests compare under, per kind (tests/protocols.py)
        missing = required_tolerances(spec) - set(spec.tolerances)
        assert not missing, f"{name}: the spec must state tolerances {sorted(missing)}"
        for key, tol in spec.tolerances.items():
            assert isinstance(tol, float) and math.isfinite(tol) and tol > 0, f"{name}: tolerance {key} = {tol!r}"


def test_initial_weights_are_deterministic_and_independent_per_name():
    shapes = {"d1/kernel": (784, 300), "d1/bias": (300,), "bn/gamma": (8,), "bn/moving_variance": (8,)}
    a = initial_weights(shapes, seed=3)
    b = initial_weights(dict(reversed(list(shapes.items()))), seed=3)
    c = initial_weights({"d1/kernel": (784, 300)}, seed=3)
    for k in shapes:
        np.testing.assert_array_equal(a[k], b[k])
    np.testing.assert_array_equal(a["d1/kernel"], c["d1/kernel"])
    assert not np.array_equal(a["d1/kernel"], initial_weights(shapes, seed=4)["d1/kernel"])
    assert (a["d1/bias"] == 0).all() and (a["bn/gamma"] == 1).all() and (a["bn/moving_variance"] == 1).all()
    limit = np.sqrt(6 / (784 + 300))  # Glorot uniform
    assert np.abs(a["d1/kernel"]).max() <= limit and np.abs(a["d1/kernel"]).max() > 0.99 * limit
    assert a["d1/kernel"].dtype == np.float32


def test_he_normal_matches_keras_definition():
    w = initial_weights({"q/kernel": (400, 300)}, seed=0, rules={"*kernel": "he_normal"})["q/kernel"]
    # truncated at 2 stddev of a normal whose stddev after truncation is sqrt(2 / fan_in)
    assert abs(w.std() - np.sqrt(2 / 400)) < 0.003
    assert np.abs(w).max() <= 2 * np.sqrt(2 / 400) / 0.87962566 + 1e-6


def test_conv_fans_and_constant_rules():
    assert fans((5, 5, 3, 16)) == (75, 400)
    w = initial_weights({"W": (1,), "b": (1,)}, 0, {"W": ("hp", "a"), "b": -0.3}, {"a": 0.3})
    assert w["W"][0] == np.float32(0.3) and w["b"][0] == np.float32(-0.3)
    with pytest.raises(BenchError, match="unknown initializer"):
        initial_weights({"x/kernel": (2, 2)}, 0, {"*": "fancy"})
