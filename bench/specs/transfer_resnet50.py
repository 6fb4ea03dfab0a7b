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

from bench.core.data import cats_vs_dogs
from bench.specs.base import Spec
from bench.specs.families import transfer as _transfer

SPEC = Spec(
    name="transfer_resnet50",
    title="ResNet50 transfer learning (frozen backbone + GAP + Dense 1), Cats vs Dogs 100x100",
    kind="supervised",
    source=_transfer.SOURCE,
    hparams=_transfer.HPARAMS,
    budgets={"quick": dict(_transfer.ARM_BUDGETS["quick"], weights="random"), "full": _transfer.ARM_BUDGETS["full"]},
    metric="val_acc",
    higher_is_better=True,
    target=0.8,
    tolerances=_transfer.TOLERANCES,
    init=_transfer.INIT,
    impl="resnet50",
    bench_rounds=(5, 1),
    load_data=lambda hp, seed: cats_vs_dogs.load(hp["n_train"], hp["n_eval"]),
    datasets=cats_vs_dogs.needs,
    evaluate=_transfer.evaluate,
    pretrained=_transfer.pretrained,
    notes="Quality: validation accuracy; params = trainable (2,049 with the frozen backbone), "
    "params_all = 23,589,761. The weights used are named after the dataset.",
)
