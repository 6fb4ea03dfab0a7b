"""Canonical weights of a Keras 3 model: each Conv2D / Dense layer gives "<layer>/kernel|bias",
each BatchNormalization "<layer>/gamma|beta|moving_mean|moving_variance" (Keras order)."""

import keras

from bench.core.interface import check_weights

KINDS = {
    keras.layers.Conv2D: ("kernel", "bias"),
    keras.layers.Dense: ("kernel", "bias"),
    keras.layers.BatchNormalization: ("gamma", "beta", "moving_mean", "moving_variance"),
}


def _kinds(layer):
    for cls, kinds in KINDS.items():
        if isinstance(layer, cls):
            return kinds
    return ()


def get_weights(model):
    out = {}
    for layer in model.layers:
        out.update({f"{layer.name}/{k}": w for k, w in zip(_kinds(layer), layer.get_weights())})
    return out


def set_weights(model, weights):
    check_weights(get_weights(model), weights)
    for layer in model.layers:
        if _kinds(layer):
            layer.set_weights([weights[f"{layer.name}/{k}"] for k in _kinds(layer)])


def bn(hp, name):
    return keras.layers.BatchNormalization(momentum=hp["bn_momentum"], epsilon=hp["bn_epsilon"], name=name)
