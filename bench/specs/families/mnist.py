"""Shared pieces of the MNIST workloads (mlp, metrics_cnn, lenet5): data, evaluation and the
optimizer settings every backend uses."""

from bench.core.data import mnist
from bench.core.metrics import RunningMean, SparseCategoricalAccuracy, sparse_cross_entropy
from bench.specs.base import KERAS_ADAM

# Adam as the documents use it (Keras defaults), written out so no framework default decides:
# epsilon 1e-7 everywhere (PyTorch's default is 1e-8).
COMMON = dict(
    dataset="auto",  # auto: MNIST when mnist.npz is found, else sklearn's bundled digits
    data_seed=0,
    train_limit=0,
    eval_limit=0,
    n_classes=10,
    lr=1e-3,
    **KERAS_ADAM,
    shuffle=True,
    eval_every=1,
)

# bf16_loss_rtol of the three MNIST specs: bf16 mixed precision against fp32, the losses of the
# first two steps of the parity protocol (tests/test_modes.py), the same batch, default mode.
# Measured (relative): lenet5 1.95e-4, mlp 5.25e-4, metrics_cnn 6.4e-4 (TF, Keras) and 9.4e-4
# (PyTorch); 3x the largest, rounded up.
BF16_LOSS_RTOL = 3e-3


def load_data(hp, seed):
    return mnist.load(hp, seed)


datasets = mnist.needs


def evaluate(learner, data, hp, batch_size=1000):
    """Test accuracy and mean test cross-entropy, accumulated batch by batch in the harness's
    running metrics (RunningMean, SparseCategoricalAccuracy) for every backend alike."""
    loss, acc = RunningMean(), SparseCategoricalAccuracy()
    for i in range(0, len(data.x_eval), batch_size):
        xb, yb = data.x_eval[i : i + batch_size], data.y_eval[i : i + batch_size]
        logits = learner.predict(xb)
        loss.update(sparse_cross_entropy(logits, yb))
        acc.update(yb, logits)
    return {"accuracy": acc.result(), "test_loss": loss.result()}
