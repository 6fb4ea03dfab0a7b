"""The FLOPs per training step (bench.core.flops) against PyTorch's own count, and the matmul peak
(bench.core.peak).

Every supervised spec's analytic count, at its quick settings and a batch of 4 of its training
samples, must equal what ``torch.utils.flop_counter.FlopCounterMode`` counts in one
``train_step`` of the PyTorch learner exactly (the same convention: 2 FLOPs per multiply-add of
matmuls and convolutions, forward and the gradients autograd computes). linreg is the one
exception, documented in bench/core/flops.py: its PyTorch model is an elementwise product that the
counter does not see, so its dense-layer count is checked on the same step written as
``F.linear``. The peak is timed on a machine shared with other work: its tests check the record,
never a rate.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import build
from torch.utils.flop_counter import FlopCounterMode

from bench import specs
from bench.config import RunConfig
from bench.core import flops, peak
from bench.core.errors import BenchError

BATCH = 4
SUPERVISED = sorted(n for n, s in specs.all_specs().items() if s.kind == "supervised")


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def counted(fn, *args) -> int:
    with FlopCounterMode(display=False) as counter:
        fn(*args)
    return counter.get_total_flops()


def test_every_supervised_spec_has_a_layer_list():
    assert sorted(flops.ARCHITECTURES) == SUPERVISED


@pytest.mark.parametrize("algo", [a for a in SUPERVISED if a != "linreg"])
def test_step_flops_equal_pytorchs_count(algo):
    learner, hp, spec = build(algo, "torch")
    data = spec.load_data(hp, 0)
    x, y = data.x_train[:BATCH], data.y_train[:BATCH]
    expected = flops.step_flops(algo, hp, batch_size=BATCH)
    assert counted(learner.train_step, x, y) == expected.train
    # the forward alone (the prediction, no gradient) is the analytic forward
    assert counted(learner.predict, x) == expected.forward
    assert expected.train == expected.train_per_sample * BATCH == expected.forward + expected.backward


def test_linreg_counts_its_dense_layer():
    """PyTorch's linreg computes W * x elementwise: the counter sees nothing. Keras's is Dense(1);
    the same step as a dense layer counts what bench.core.flops says, at the full batch."""
    learner, hp, spec = build("linreg", "torch")
    data = spec.load_data(hp, 0)
    assert counted(learner.train_step, data.x_train, data.y_train) == 0

    x, y = torch.as_tensor(data.x_train)[:, None], torch.as_tensor(data.y_train)[:, None]
    w, b = torch.full((1, 1), 0.3, requires_grad=True), torch.full((1,), -0.3, requires_grad=True)

    def dense_step():
        torch.mean((F.linear(x, w, b) - y) ** 2).backward()

    expected = flops.step_flops("linreg", hp)
    assert hp["batch_size"] is None and expected.batch_size == hp["n"] == len(data.x_train)
    assert counted(dense_step) == expected.train == 4 * hp["n"]


def test_frozen_backbone_trains_only_the_head():
    hp = RunConfig.create("transfer_resnet50", "torch", budget="full").hp
    layers = flops.layer_list("transfer_resnet50", hp)
    assert len(layers) == 54 and [layer.name for layer in layers if layer.trains] == ["head"]
    assert not any(layer.input_grad for layer in layers)
    s = flops.step_flops("transfer_resnet50", hp)
    assert s.batch_size == 64 and s.backward_per_sample == 2 * 2048
    full = flops.step_flops("resnet50_cifar10", RunConfig.create("resnet50_cifar10", "torch", budget="full").hp)
    # trained from scratch: backward = twice the forward, less the first conv's input gradient
    first = flops.layer_list("resnet50_cifar10", RunConfig.create("resnet50_cifar10", "torch").hp)[0]
    assert first.name == "conv1_conv" and not first.input_grad
    assert full.backward_per_sample == 2 * full.forward_per_sample - first.forward


def test_a_spec_that_is_not_supervised_is_an_error():
    hp = RunConfig.create("dqn", "torch").hp
    with pytest.raises(BenchError, match="supervised specs only"):
        flops.step_flops("dqn", hp)
    with pytest.raises(BenchError, match="batch_size must be at least 1"):
        flops.step_flops("mlp", RunConfig.create("mlp", "torch").hp, batch_size=0)


@pytest.mark.parametrize("precision", peak.PRECISIONS)
def test_matmul_peak(precision):
    before = torch.get_num_threads()
    out = peak.matmul_peak(precision, threads=1, n=128, seconds=0.05)
    assert math.isfinite(out["flops_per_s"]) and out["flops_per_s"] > 0
    assert out["n"] == 128 and out["reps"] >= 1 and out["repeats"] >= 1
    assert (out["threads"], out["precision"], out["device"]) == (1, precision, "cpu")
    assert out["library"] == f"torch {torch.__version__}"
    assert torch.get_num_threads() == before
    assert np.isclose(out["flops_per_s"] * out["best_s"], 2 * 128**3 * out["reps"])


def test_matmul_peak_bad_arguments():
    with pytest.raises(BenchError, match="precision"):
        peak.matmul_peak("fp8")
    with pytest.raises(BenchError, match="device"):
        peak.matmul_peak(device="tpu")
    with pytest.raises(BenchError, match="threads"):
        peak.matmul_peak(threads=0)
