"""ResNet50 transfer learning on Cats vs Dogs (seed 000, "Transfer learning in TensorFlow 2
tutorial"): a frozen ResNet50 backbone (no top, BatchNorm in inference mode) + global average
pooling + Dense(1, sigmoid); only the 2,049 head parameters train. The architecture and every
setting are in bench/specs/families/transfer.py; the arm it is compared with is ``transfer_scratch``.

``weights``: ``auto`` (the default) uses Keras's ImageNet file when it is in the data directory or
a cache (or can be downloaded), else the CIFAR-10 source-task checkpoint made by
``bench pretrain``; ``imagenet``, ``cifar10``, ``random`` or a file path pick one
(bench/core/pretrained.py). Every result names the weights it used, after the dataset. The quick
budget uses ``random`` (no pretraining): it is a smoke run and a speed figure, not a quality one.
"""

from bench.specs.families.transfer import TRANSFER

SPEC = TRANSFER.spec(
    "transfer_resnet50",
    "ResNet50 transfer learning (frozen backbone + GAP + Dense 1), Cats vs Dogs 100x100",
    notes="Quality: validation accuracy; params = trainable (2,049 with the frozen backbone), "
    "params_all = 23,589,761. The weights used are named after the dataset.",
)
