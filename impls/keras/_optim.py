"""The optimizer of every Keras learner, built from the spec's settings by ``optimizer``:
keras.optimizers.Adam for ``"adam"`` (the suite's definition of Adam) and for ``"adam-native"``
(it is Keras's own), plain SGD (w -= lr * g) for ``"sgd"``; ``grad_clip_norm`` > 0 clips the
gradients' global norm (``global_clipnorm``). A spec without an ``optimizer`` setting (linreg) is
plain gradient descent."""

import keras


def optimizer(hp):
    kind, clip = hp.get("optimizer", "sgd"), float(hp.get("grad_clip_norm") or 0) or None
    if kind in ("adam", "adam-native"):
        return keras.optimizers.Adam(
            hp["lr"], beta_1=hp["adam_beta1"], beta_2=hp["adam_beta2"], epsilon=hp["adam_epsilon"], global_clipnorm=clip
        )
    if kind == "sgd":
        return keras.optimizers.SGD(hp["lr"], global_clipnorm=clip)
    raise ValueError(f"unknown optimizer {kind!r}")
