"""Shared pieces of the ResNet50 transfer-learning specs (seed 000, "Transfer learning in
TensorFlow 2 tutorial").

The backbone is Keras's ResNet50 without its top, defined once in :mod:`bench.core.arch.resnet50`
(shared with the implementations, impls/*/resnet50.py); its weights come from
:mod:`bench.core.pretrained` (the ``weights`` setting). The head: global average pooling ->
``head`` Dense(n_classes), one logit with a sigmoid for Cats vs Dogs, ten for the CIFAR-10
source task.

``freeze_backbone``: the backbone's weights are not trained and its BatchNorm layers run in
inference mode (moving statistics) during training too, as Keras does for a layer with
``trainable = False``; only the head learns. Without it (the source-task pretraining) the whole
network trains and BatchNorm uses batch statistics.
"""

from __future__ import annotations

from bench.core.data import cats_vs_dogs
from bench.core.metrics import accuracy, binary_cross_entropy, param_count, predict_batched
from bench.core.pretrained import load_backbone
from bench.specs.base import KERAS_ADAM, KERAS_INIT, SUPERVISED

SOURCE = "seed 000, Transfer learning in TensorFlow 2 tutorial"
# both arms of the comparison train with these (equal epochs, images and batches). Full: the
# class-balanced first 1000 training and 500 validation images, 5 epochs (80 updates); the
# document has ~23,000 images and 7 epochs. Reduced because the frozen backbone's forward pass
# (about 1.6 GFLOP per 100x100 image) runs on every image every epoch, on a 2-core CPU.
ARM_BUDGETS = {
    "quick": dict(n_train=128, n_eval=64, epochs=1, batch_size=32),
    "full": dict(n_train=1000, n_eval=500, epochs=5, batch_size=64),
}


def pretrained(hp):
    return load_backbone(hp["weights"])


def evaluate(learner, data, hp):
    """Validation accuracy and loss; trainable and total parameter counts (Keras's way: the
    frozen backbone's weights and every BatchNorm moving statistic are non-trainable)."""
    p = predict_batched(learner, data.x_eval, 100)
    weights = learner.get_weights()
    trainable = {k: v for k, v in weights.items() if k.startswith("head/")} if hp["freeze_backbone"] else weights
    out = {"params": param_count(trainable), "params_all": param_count(weights, trainable_only=False)}
    if hp["n_classes"] == 1:
        out.update(val_acc=accuracy(p, data.y_eval), val_loss=binary_cross_entropy(p, data.y_eval))
    else:
        out["test_acc"] = accuracy(p, data.y_eval)
    return out


def load_data(hp, seed):
    return cats_vs_dogs.load(hp["n_train"], hp["n_eval"])


# The family: the frozen-backbone arm on Cats vs Dogs; a member states what differs.
TRANSFER = SUPERVISED.extend(
    source=SOURCE,
    # the document's settings (Keras defaults written out): Adam(1e-3), batch 64, 7 epochs, BatchNorm
    # momentum 0.99 / epsilon 1.001e-5 (ResNet50's), images scaled to [0, 1] and nothing else (the
    # document feeds the ImageNet backbone [0, 1] pixels, not Keras's ResNet50 ``preprocess_input``)
    hparams=dict(
        image_size=100,
        n_classes=1,
        freeze_backbone=True,
        weights="auto",
        bn_momentum=0.99,
        bn_epsilon=1.001e-5,
        lr=1e-3,
        **KERAS_ADAM,
        n_train=2000,
        n_eval=1000,
        epochs=7,
        batch_size=64,
        shuffle=True,
        eval_every=1,
    ),
    # the quick budget uses ``random`` weights (no pretraining): a smoke run and a speed figure
    budgets={"quick": dict(ARM_BUDGETS["quick"], weights="random"), "full": ARM_BUDGETS["full"]},
    metric="val_acc",
    higher_is_better=True,
    target=0.8,
    # every figure and how it was measured: docs/parity.md#transfer
    tolerances={
        "features_rtol": 1e-4,  # 53 convs and 53 BatchNorms in float32 (no figure); docs/parity.md#transfer
        "predict_atol": 1e-5,  # measured 1.3e-7; docs/parity.md#transfer
        "loss_rtol": 1e-4,  # measured 5.8e-6 (frozen backbone); docs/parity.md#transfer
        "sgd_loss_rtol": 1e-6,  # measured 8.6e-8 (PyTorch), 0 (Keras); docs/parity.md#transfer
        "own_loss_rtol": 1e-5,  # measured 8.6e-8 and 0; docs/parity.md#transfer
    },
    # canonical initialisation where no pretrained weight is set: the head (and the backbone with
    # weights=random), Keras's defaults for a Dense layer and Keras's ResNet50 (He-normal would be
    # the usual choice for training from scratch; Keras applications use Glorot-uniform)
    init=KERAS_INIT,
    impl="resnet50",
    bench_rounds=(5, 1),
    load_data=load_data,
    datasets=cats_vs_dogs.needs,
    evaluate=evaluate,
    pretrained=pretrained,
)
TOLERANCES = TRANSFER.tolerances  # tests/test_parity_transfer.py reads features_rtol
