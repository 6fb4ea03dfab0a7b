"""ResNet50: Keras's ``keras.applications.ResNet50`` without its top, written out once so that the
TensorFlow, PyTorch and Keras implementations build the same network and every backend names its
weights the same way (the canonical layout, which is Keras's layer names). Used by the
transfer-learning specs (bench/specs/families/transfer.py), by bench/core/pretrained.py to check weight files
layer by layer, and by impls/*/resnet50.py.

* stem: zero-pad 3 -> ``conv1_conv`` 7x7/2 (64, 'valid', bias) -> ``conv1_bn`` -> ReLU ->
  zero-pad 1 -> max-pool 3x3/2 ('valid');
* four stages ``conv2`` .. ``conv5`` of bottleneck blocks, (filters f, blocks, stride) =
  (64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2). Block ``conv{s}_block{b}``:
  ``_1_conv`` 1x1 (f, stride s in block 1) -> ``_1_bn`` -> ReLU -> ``_2_conv`` 3x3 (f, 'same')
  -> ``_2_bn`` -> ReLU -> ``_3_conv`` 1x1 (4f) -> ``_3_bn``; the shortcut is the block input, or
  in block 1 ``_0_conv`` 1x1 (4f, stride s) -> ``_0_bn``; add, then ReLU. Every conv has a bias;
  every BatchNorm has epsilon 1.001e-5 (Keras's value for ResNet50) and momentum 0.99.
* head: global average pooling -> ``head`` Dense(n_classes): one logit with a sigmoid for Cats
  vs Dogs (2048 x 1 + 1 = 2,049 parameters), ten for the CIFAR-10 source task.

A 100x100 input gives a 4x4x2048 feature map (100 -> 50 -> 25 -> 25 -> 13 -> 7 -> 4), as in the
document's summary; 23,587,712 backbone parameters (BatchNorm moving statistics included, as
Keras counts them).
"""

from __future__ import annotations

STAGES = ((2, 64, 3, 1), (3, 128, 4, 2), (4, 256, 6, 2), (5, 512, 3, 2))  # (stage, f, blocks, stride)
BN = ("gamma", "beta", "moving_mean", "moving_variance")


def blocks():
    """(name, filters, stride, has_shortcut_conv) of the 16 bottleneck blocks, in order."""
    for stage, f, n, stride in STAGES:
        for b in range(1, n + 1):
            yield f"conv{stage}_block{b}", f, (stride if b == 1 else 1), b == 1


def layers(n_classes: int | None = None) -> list[tuple[str, dict[str, tuple]]]:
    """The layers with weights, in the order Keras builds them (the order of the ImageNet .h5
    file): (layer name, {weight kind: shape}). ``n_classes`` adds the head."""
    out = [("conv1_conv", {"kernel": (7, 7, 3, 64), "bias": (64,)}), ("conv1_bn", {k: (64,) for k in BN})]
    c = 64
    for name, f, _, shortcut in blocks():
        conv = {"0": (1, c, 4 * f), "1": (1, c, f), "2": (3, f, f), "3": (1, f, 4 * f)}
        # Keras's layer order (its model.layers, the order of the ImageNet file): a block with a
        # shortcut conv lists it after the second conv: 1 1 2 2 0 3 0 3 (conv, bn, ...)
        order = ("1c", "1b", "2c", "2b", "0c", "3c", "0b", "3b") if shortcut else ("1c", "1b", "2c", "2b", "3c", "3b")
        for i, what in order:
            k, cin, cout = conv[i]
            if what == "c":
                out.append((f"{name}_{i}_conv", {"kernel": (k, k, cin, cout), "bias": (cout,)}))
            else:
                out.append((f"{name}_{i}_bn", {kind: (cout,) for kind in BN}))
        c = 4 * f
    if n_classes:
        out.append(("head", {"kernel": (c, n_classes), "bias": (n_classes,)}))
    return out


def canonical_shapes(n_classes: int | None = None) -> dict[str, tuple]:
    """Canonical weight name ("<layer>/<kind>") -> shape."""
    return {f"{layer}/{kind}": shape for layer, kinds in layers(n_classes) for kind, shape in kinds.items()}


def feature_size(image_size: int) -> int:
    """Height (= width) of the backbone's output for a square input: 4 for 100x100, 1 for 32x32."""
    s = (image_size + 6 - 7) // 2 + 1  # conv1: pad 3, 7x7 stride 2
    s = (s + 2 - 3) // 2 + 1  # pool1: pad 1, 3x3 stride 2
    for _, _, _, stride in STAGES:
        s = (s - 1) // stride + 1  # the 1x1 strided conv of block 1
    return s
