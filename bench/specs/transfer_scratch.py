"""The from-scratch arm of the transfer-learning comparison (seed 000, "Transfer learning in
TensorFlow 2 tutorial"): the small CNN (the 3-conv head of bench/specs/families/gap_head.py + global
average pooling + Dense(1, sigmoid)), every weight trained from the spec's initialisation, with
the same images, epochs, batch size and optimizer as ``transfer_resnet50``.

The document's code for this model writes ``AveragePooling2D()`` + Flatten; the issue and the
document's text call it a GAP head, so ``avg_pool=0`` (global) as in ``gap_head_gap``.
Changed, and labelled so: BatchNorm momentum 0.9 instead of 0.99 in both budgets, because the
full budget has 80 updates and a 0.99 moving average would still hold 45% of its initial
statistics when the model is evaluated (see bench/specs/families/gap_head.py).
"""

from bench.specs.families.gap_head import GAP_HEAD
from bench.specs.families.transfer import ARM_BUDGETS, SOURCE

SPEC = GAP_HEAD.spec(
    "transfer_scratch",
    "Small CNN from scratch (3-conv head + GAP + Dense 1), Cats vs Dogs 100x100",
    source=SOURCE,
    hparams=dict(tail="gap", avg_pool=0, bn_momentum=0.9),
    budgets=ARM_BUDGETS,
    target=0.8,
    validate=None,
    notes="Quality: validation accuracy, at the same budget as transfer_resnet50.",
)
