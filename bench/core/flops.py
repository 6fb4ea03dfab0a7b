"""The floating-point operations of one training step of a supervised spec, counted from its layer list.

Each supervised spec's network is written out here as a list of its layers with weights (conv and
dense), with the shapes that its resolved hyperparameters give (the same arithmetic as the
implementations, impls/*/; ResNet50's layers come from :mod:`bench.core.arch.resnet50`). The count
follows the convention of PyTorch's ``torch.utils.flop_counter.FlopCounterMode``, so that
tests/test_flops.py can check it against a counted PyTorch step:

* 2 FLOPs per multiply-accumulate of a matmul, dense or convolution, biases not counted;
  elementwise ops, activations, BatchNorm, pooling, dropout, the loss and the optimizer's update
  are not counted either (they are a few percent of a conv net's work and depend on the kernels);
* forward: every layer once; backward: the gradient of every trained layer's weights (as many
  FLOPs as its forward) and the gradient of every layer's input (as many again), except where
  autograd does not compute it: the first layer, whose input (the data) needs no gradient, and
  the layers of a frozen backbone (``freeze_backbone``: the PyTorch learner runs the backbone
  without gradients, so neither its weight gradients nor its input gradients, nor the head's
  input gradient, are computed).

One exception to the counter, labelled so: ``linreg``'s model W x + b is a dense layer of one
input and one unit here (Keras builds it as ``Dense(1)``), but the PyTorch and TensorFlow
implementations write it as an elementwise product, which the counter does not see.

This module takes the spec's name and its resolved hyperparameters (``RunConfig.hp``) and
imports no spec: it sits in the harness core (``.importlinter``), below bench.specs, so it keeps
its own table of which network each spec trains; tests/test_flops.py checks that table against
the supervised specs. The counts are for the speed figures (FLOP/s, and the fraction of the
machine's matmul peak, bench/core/peak.py), not for any result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

from bench.core.arch import gap_head, resnet50
from bench.core.errors import BenchError, choices

OPS = ("conv", "dense")


@dataclass(frozen=True)
class Layer:
    """One layer with weights, at one sample: ``macs`` multiply-accumulates in its forward pass."""

    name: str
    op: str  # "conv" or "dense"
    macs: int  # multiply-accumulates per sample, forward (biases not counted)
    trains: bool = True  # its weights get a gradient
    input_grad: bool = True  # autograd computes the gradient of its input

    @property
    def forward(self) -> int:
        """FLOPs per sample, forward."""
        return 2 * self.macs

    @property
    def backward(self) -> int:
        """FLOPs per sample, backward: weight gradient and input gradient, each as much as the forward."""
        return 2 * self.macs * (int(self.trains) + int(self.input_grad))


@dataclass(frozen=True)
class StepFlops:
    """The FLOPs of one training step (forward + backward) of ``batch_size`` samples, and per sample."""

    spec: str
    batch_size: int
    forward: int
    backward: int
    train: int  # forward + backward
    forward_per_sample: int
    backward_per_sample: int
    train_per_sample: int


def _conv(name: str, size: int, cin: int, cout: int, k: int, stride: int = 1, pad: int = 0) -> tuple[Layer, int]:
    """A square k x k convolution on a size x size input -> (layer, output size)."""
    out = (size + 2 * pad - k) // stride + 1
    return Layer(name, "conv", out * out * k * k * cin * cout), out


def _dense(name: str, n_in: int, n_out: int) -> Layer:
    return Layer(name, "dense", n_in * n_out)


def _linreg(hp) -> list[Layer]:
    """W x + b on one feature: a dense layer 1 -> 1 (see the module docstring)."""
    return [_dense("W", 1, 1)]


def _mle(hp) -> list[Layer]:
    """Dense(1) -> Normal(loc, scale), or Dense(2) -> (loc, scale) when heteroscedastic."""
    return [_dense("dense", 1, 2 if hp["heteroscedastic"] else 1)]


def _mlp(hp) -> list[Layer]:
    n_in = hp["image_size"] ** 2
    return [_dense("dense1", n_in, hp["hidden"]), _dense("dense2", hp["hidden"], hp["n_classes"])]


def _lenet5(hp) -> list[Layer]:
    """conv1 (VALID) -> pool -> conv2 (VALID) -> pool -> fc1 -> fc2 -> fc3, one input channel."""
    k, p, c1, c2 = hp["kernel_size"], hp["pool"], hp["conv1_filters"], hp["conv2_filters"]
    conv1, s = _conv("conv1", hp["image_size"], 1, c1, k)
    conv2, s = _conv("conv2", s // p, c1, c2, k)
    s //= p
    return [
        conv1,
        conv2,
        _dense("fc1", s * s * c2, hp["fc1_units"]),
        _dense("fc2", hp["fc1_units"], hp["fc2_units"]),
        _dense("fc3", hp["fc2_units"], hp["n_classes"]),
    ]


def _metrics_cnn(hp) -> list[Layer]:
    """conv1 (VALID) -> pool -> BN -> conv2 (VALID) -> pool -> BN -> dense, one input channel."""
    k, p, f = hp["kernel_size"], hp["pool"], hp["filters"]
    conv1, s = _conv("conv1", hp["image_size"], 1, f, k)
    conv2, s = _conv("conv2", s // p, f, f, k)
    s //= p
    return [conv1, conv2, _dense("dense", s * s * f, hp["n_classes"])]


def _gap_head(hp) -> list[Layer]:
    """Three blocks conv (VALID) -> BN -> ReLU -> pool on RGB, then the ``gap`` tail (Dense(1) on
    the globally pooled features, or on the ``avg_pool`` x ``avg_pool`` average-pooled map) or the
    ``fc`` tail (Dense(units) -> Dense(units) -> Dense(1))."""
    k, p, s, c = hp["kernel_size"], hp["pool_size"], hp["image_size"], 3
    out = []
    for i, f in enumerate((hp["filters1"], hp["filters2"], hp["filters3"]), 1):
        conv, s = _conv(f"conv{i}", s, c, f, k)
        out.append(conv)
        s, c = s // p, f
    assert s == gap_head.feature_size(hp)
    u = hp["dense_units"]
    if hp["tail"] == "gap":
        a = hp["avg_pool"]
        return [*out, _dense("out", c if a == 0 else c * (s // a) ** 2, 1)]
    return [*out, _dense("fc1", s * s * c, u), _dense("fc2", u, u), _dense("out", u, 1)]


def _cifar_side(crop: float, size: int = 32) -> int:
    """The side of a CIFAR-10 image after bench.core.data.cifar10.central_crop(fraction=crop)."""
    return size - 2 * int((size - size * crop) / 2)


def _resnet(hp) -> list[Layer]:
    """conv1, conv2 (VALID) -> pool -> ``blocks`` blocks of two 'same' convs -> conv3 (VALID) ->
    GAP -> dense -> out, on the cropped CIFAR-10 images; the plain net has the same convs."""
    k, f = hp["kernel_size"], hp["block_filters"]
    conv1, s = _conv("conv1", _cifar_side(hp["crop"]), 3, hp["conv1_filters"], k)
    conv2, s = _conv("conv2", s, hp["conv1_filters"], hp["conv2_filters"], k)
    s, c, out = s // hp["pool_size"], hp["conv2_filters"], [conv1, conv2]
    for i in range(1, hp["blocks"] + 1):
        a, s = _conv(f"block{i}_conv1", s, c, f, k, pad=k // 2)
        b, s = _conv(f"block{i}_conv2", s, f, f, k, pad=k // 2)
        out += [a, b]
        c = f
    conv3, s = _conv("conv3", s, c, f, k)
    return [*out, conv3, _dense("dense", f, hp["dense_units"]), _dense("out", hp["dense_units"], hp["n_classes"])]


def _resnet50(hp) -> list[Layer]:
    """Keras's ResNet50 without its top (bench.core.arch.resnet50) -> GAP -> head Dense(n_classes).
    With ``freeze_backbone`` only the head trains, and nothing below it gets a gradient."""
    kernels = {name: kinds["kernel"] for name, kinds in resnet50.layers(hp["n_classes"]) if "kernel" in kinds}
    k, _, cin, cout = kernels["conv1_conv"]
    conv1, s = _conv("conv1_conv", hp["image_size"], cin, cout, k, stride=2, pad=k // 2)
    s = (s + 2 - 3) // 2 + 1  # max-pool 3x3 / 2, padding 1
    out = [conv1]
    for name, _, stride, shortcut in resnet50.blocks():
        s_in = s
        for i in ("1", "2", "3"):  # 1x1 (the block's stride), 3x3 'same', 1x1
            k, _, cin, cout = kernels[f"{name}_{i}_conv"]
            layer, s = _conv(f"{name}_{i}_conv", s, cin, cout, k, stride if i == "1" else 1, k // 2)
            out.append(layer)
        if shortcut:  # 1x1, the block's stride, on the block's input
            k, _, cin, cout = kernels[f"{name}_0_conv"]
            out.append(_conv(f"{name}_0_conv", s_in, cin, cout, k, stride)[0])
    assert s == resnet50.feature_size(hp["image_size"])
    n_in, n_out = kernels["head"]
    out.append(_dense("head", n_in, n_out))
    if hp["freeze_backbone"]:
        out = [replace(layer, trains=layer.name == "head", input_grad=False) for layer in out]
    return out


# spec name -> its network's layer list (the supervised specs; tests/test_flops.py checks that
# every supervised spec is here and that each list counts what PyTorch counts)
ARCHITECTURES: dict[str, Callable[[Mapping[str, Any]], list[Layer]]] = {
    "linreg": _linreg,
    "mle_normal": _mle,
    "mle_hetero": _mle,
    "mlp": _mlp,
    "lenet5": _lenet5,
    "metrics_cnn": _metrics_cnn,
    "gap_head_fc": _gap_head,
    "gap_head_fc_dropout": _gap_head,
    "gap_head_gap": _gap_head,
    "transfer_scratch": _gap_head,
    "resnet10": _resnet,
    "plain10": _resnet,
    "resnet50_cifar10": _resnet50,
    "transfer_resnet50": _resnet50,
}


def layer_list(spec_name: str, hp: Mapping[str, Any]) -> list[Layer]:
    """The layers with weights of ``spec_name``'s network at the resolved settings ``hp``, in
    forward order; the first layer's input gets no gradient."""
    if spec_name not in ARCHITECTURES:
        raise BenchError(
            f"no layer list for '{spec_name}': FLOPs per training step are counted for the supervised "
            f"specs only; choose from: {choices(ARCHITECTURES)}"
        )
    layers = ARCHITECTURES[spec_name](hp)
    return [replace(layers[0], input_grad=False), *layers[1:]]


def full_batch(spec_name: str, hp: Mapping[str, Any]) -> int:
    """The samples of one step when ``batch_size`` is None (full-batch gradient descent): every
    training sample, ``n`` of them (linreg's data, bench.core.data.synthetic.linear)."""
    if "n" not in hp:
        raise BenchError(f"{spec_name} has no batch size and no setting 'n' (its training samples): give batch_size")
    return int(hp["n"])


def step_flops(spec_name: str, hp: Mapping[str, Any], batch_size: int | None = None) -> StepFlops:
    """The FLOPs of one training step of ``batch_size`` samples (default: the spec's ``batch_size``,
    or every training sample for a full-batch spec)."""
    layers = layer_list(spec_name, hp)
    if batch_size is None:
        batch_size = hp.get("batch_size") or full_batch(spec_name, hp)
    batch_size = int(batch_size)
    if batch_size < 1:
        raise BenchError(f"batch_size must be at least 1, got {batch_size}")
    fwd, bwd = sum(layer.forward for layer in layers), sum(layer.backward for layer in layers)
    return StepFlops(
        spec=spec_name,
        batch_size=batch_size,
        forward=fwd * batch_size,
        backward=bwd * batch_size,
        train=(fwd + bwd) * batch_size,
        forward_per_sample=fwd,
        backward_per_sample=bwd,
        train_per_sample=fwd + bwd,
    )
