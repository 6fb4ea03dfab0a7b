"""Keras 3 networks for the RL learners: a functional Model built from the canonical layer list
(Conv2D 'valid' / Flatten / Dense, dueling aggregation layer), named so its weights map to the
canonical names one to one."""

import keras
from keras import layers, ops

from bench.rl.agent import layer_shapes


class DuelingAggregate(layers.Layer):
    """Q = V + A - mean_a A (or - max_a A)."""

    def __init__(self, agg="mean", **kwargs):
        super().__init__(**kwargs)
        self.agg = agg

    def call(self, v, a):
        base = ops.max(a, axis=1, keepdims=True) if self.agg == "max" else ops.mean(a, axis=1, keepdims=True)
        return v + a - base


def build(hp, head=None, name="net"):
    spec = layer_shapes(hp, head)
    names = [n for n, _, _ in spec]
    strides = {f"conv{i}": s for i, (_, _, s) in enumerate(hp.get("conv") or (), 1)}
    inp = keras.Input(tuple(hp["obs_shape"]), name="obs")
    x = inp
    for n, k, _ in spec:
        if n.startswith("conv"):
            x = layers.Conv2D(k[3], k[0], strides=strides[n], padding="valid", activation="relu", name=n)(x)
    if strides:
        x = layers.Flatten(name="flatten")(x)
    for n, k, _ in spec:
        if n.startswith("dense"):
            x = layers.Dense(k[1], activation="relu", name=n)(x)
    units = {n: k[1] for n, k, _ in spec}
    if head == "pi":
        out = layers.Dense(units["pi_out"], activation="softmax", name="pi_out")(x)
    elif hp.get("dueling"):
        a = layers.Dense(units["adv_dense"], activation="relu", name="adv_dense")(x) if "adv_dense" in names else x
        v = layers.Dense(units["v_dense"], activation="relu", name="v_dense")(x) if "v_dense" in names else x
        a, v = layers.Dense(units["adv_out"], name="adv_out")(a), layers.Dense(1, name="v_out")(v)
        out = DuelingAggregate(hp["dueling_agg"], name="aggregate")(v, a)
    else:
        q = layers.Dense(units["q_dense"], activation="relu", name="q_dense")(x) if "q_dense" in names else x
        out = layers.Dense(units["q_out"], name="q_out")(q)
    if keras.config.dtype_policy().compute_dtype != "float32":  # mixed precision: the output in float32
        out = layers.Activation("linear", dtype="float32", name="out_float32")(out)
    return keras.Model(inp, out, name=name), names


def get_canonical(model, names):
    out = {}
    for n in names:
        kernel, bias = model.get_layer(n).get_weights()
        out[f"{n}/kernel"], out[f"{n}/bias"] = kernel, bias
    return out


def set_canonical(model, names, weights):
    for n in names:
        model.get_layer(n).set_weights([weights[f"{n}/kernel"], weights[f"{n}/bias"]])
