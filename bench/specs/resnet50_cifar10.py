"""The source task of the offline transfer-learning arm: the same ResNet50 (bench/specs/families/transfer.py)
+ global average pooling + Dense(10), every layer trained, on the CIFAR-10 subset at its full
32x32 (random left-right flip), Adam(1e-3), batch 64, BatchNorm momentum 0.99.

``bench pretrain --source cifar10`` runs this spec and saves the backbone in the canonical layout
as the ``cifar10`` checkpoint that ``transfer_resnet50`` loads when Keras's ImageNet file is not
available (no machine of this project can download it). It is a stand-in, and a weak one: 4000
low-resolution images of ten classes (two of them cat and dog) instead of 1.28 million of a
thousand. Full budget: 10 epochs (630 updates).
"""

from bench.core.data import cifar10
from bench.specs.families.transfer import SOURCE, TRANSFER

SPEC = TRANSFER.spec(
    "resnet50_cifar10",
    "ResNet50 from scratch on CIFAR-10 32x32 (the transfer arm's offline source task)",
    source=SOURCE + " (source task for its offline arm)",
    hparams=dict(
        image_size=32,
        n_classes=10,
        freeze_backbone=False,
        weights="random",
        n_train=4000,
        n_eval=1000,
        epochs=10,
        eval_every=2,
    ),
    budgets={"quick": dict(n_train=256, n_eval=128, epochs=1, batch_size=32, bn_momentum=0.9), "full": {}},
    metric="test_acc",
    target=0.4,
    tolerances={
        "loss_rtol": 5e-2,  # measured 2.7e-2 (PyTorch), 1.3e-5 (Keras); docs/parity.md#resnet50_cifar10
        "sgd_step_loss_rtol": 1e-4,  # measured 1.6e-5 (PyTorch; Keras 0); docs/parity.md#resnet50_cifar10
        "sgd_step_moving_atol": 6e-5,  # measured 2.0e-5 (Keras 0); docs/parity.md#resnet50_cifar10
    },
    load_data=lambda hp, seed: cifar10.load(hp["n_train"], hp["n_eval"], crop=1.0, flip=True),
    datasets=cifar10.needs,
    pretrained=None,
    notes="Quality: test accuracy on the CIFAR-10 subset's test images.",
)
