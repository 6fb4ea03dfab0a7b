"""Low-level TensorFlow building blocks shared by the CNN learners: canonical-layout variables
and BatchNorm with batch statistics in training and moving statistics (Keras update rule)."""

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
    ``name``, updating nothing (Learner.bn_batch_stats)."""
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
    return tf.nn.conv2d(x, v[f"{name}/kernel"], stride, padding) + v[f"{name}/bias"]


def dense(v, x, name):
    return tf.matmul(x, v[f"{name}/kernel"]) + v[f"{name}/bias"]
