"""Low-level TensorFlow building blocks shared by the CNN learners: canonical-layout variables
and BatchNorm with batch statistics in training and moving statistics (Keras update rule). Conv
and dense layers compute in their input's dtype (bf16 mixed precision casts the float32 variables)."""

import tensorflow as tf

BN = ("gamma", "beta", "moving_mean", "moving_variance")


def variables(shapes):
    """Canonical name -> tf.Variable; BatchNorm moving statistics are not trainable."""
    return {
        n: tf.Variable(tf.zeros(s), name=n.replace("/", "_"), trainable=not n.endswith(("mean", "variance")))
        for n, s in shapes.items()
    }


def bn_shapes(name, n):
    return {f"{name}/{k}": (n,) for k in BN}


def batch_norm(v, x, name, training, momentum, epsilon, record=None):
    """Normalise over every axis but the last; in training, update the moving statistics as
    Keras does: moving = moving * momentum + batch * (1 - momentum), biased batch variance.
    With a dict ``record``: normalise by the batch statistics and store them there under
    ``name``, updating nothing (Learner.bn_batch_stats). A bf16 input is normalised in float32
    (as Keras's mixed precision does) and the output cast back."""
    if x.dtype != tf.float32:
        return tf.cast(batch_norm(v, tf.cast(x, tf.float32), name, training, momentum, epsilon, record), x.dtype)
    g, b, mm, mv = (v[f"{name}/{k}"] for k in BN)
    if training or record is not None:
        mean, var = tf.nn.moments(x, axes=list(range(len(x.shape) - 1)))
        if record is not None:
            record[name] = (mean.numpy(), var.numpy())
        else:
            mm.assign(mm * momentum + mean * (1 - momentum))
            mv.assign(mv * momentum + var * (1 - momentum))
    else:
        mean, var = mm, mv
    return tf.nn.batch_normalization(x, mean, var, b, g, epsilon)


def conv(v, x, name, padding, stride=1):
    return tf.nn.conv2d(x, _as(v[f"{name}/kernel"], x), stride, padding) + _as(v[f"{name}/bias"], x)


def dense(v, x, name):
    return tf.matmul(x, _as(v[f"{name}/kernel"], x)) + _as(v[f"{name}/bias"], x)


def _as(var, x):
    """The float32 variable in ``x``'s compute dtype (bf16 mixed precision: the cast is part of
    the graph, so the gradient reaches the float32 master weight); unchanged in float32."""
    return var if x.dtype == var.dtype else tf.cast(var, x.dtype)
