"""Low-level TensorFlow networks for the RL learners: tf.Variables in the canonical layout and a
forward function (conv trunk, dense trunk, dueling / plain / policy head)."""

import tensorflow as tf

from bench.rl.agent import layer_shapes


class Net:
    """``dtype``: the compute dtype (bf16 mixed precision: the float32 variables and the input are
    cast to it; the output comes back in float32)."""

    def __init__(self, hp, head=None, trainable=True, dtype=tf.float32):
        self.hp, self.head, self.dtype = hp, head, dtype
        self.layers = layer_shapes(hp, head)
        self.strides = {f"conv{i}": s for i, (_, _, s) in enumerate(hp.get("conv") or (), 1)}
        self.vars = {}
        for name, k_shape, b_shape in self.layers:
            self.vars[f"{name}/kernel"] = tf.Variable(tf.zeros(k_shape), trainable=trainable, name=f"{name}_kernel")
            self.vars[f"{name}/bias"] = tf.Variable(tf.zeros(b_shape), trainable=trainable, name=f"{name}_bias")
        self.variables = list(self.vars.values())

    def w(self, name):
        v = self.vars[name]
        return v if v.dtype == self.dtype else tf.cast(v, self.dtype)

    def dense(self, name, x, relu=False):
        y = tf.matmul(x, self.w(f"{name}/kernel")) + self.w(f"{name}/bias")
        return tf.nn.relu(y) if relu else y

    def __call__(self, x):
        return tf.cast(self.forward(tf.cast(x, self.dtype)), tf.float32)

    def forward(self, x):
        names = [n for n, _, _ in self.layers]
        if self.strides:
            for name in (n for n in names if n.startswith("conv")):
                s = self.strides[name]
                x = tf.nn.relu(tf.nn.conv2d(x, self.w(f"{name}/kernel"), s, "VALID") + self.w(f"{name}/bias"))
            x = tf.reshape(x, [tf.shape(x)[0], -1])  # NHWC flatten: the canonical order
        for name in (n for n in names if n.startswith("dense")):
            x = self.dense(name, x, relu=True)
        has = set(names)
        if self.head == "pi":
            return self.dense("pi_out", x)  # logits
        if self.hp.get("dueling"):
            a = self.dense("adv_dense", x, True) if "adv_dense" in has else x
            v = self.dense("v_dense", x, True) if "v_dense" in has else x
            a, v = self.dense("adv_out", a), self.dense("v_out", v)
            base = (
                tf.reduce_max(a, 1, keepdims=True)
                if self.hp["dueling_agg"] == "max"
                else tf.reduce_mean(a, 1, keepdims=True)
            )
            return v + a - base
        q = self.dense("q_dense", x, True) if "q_dense" in has else x
        return self.dense("q_out", q)
