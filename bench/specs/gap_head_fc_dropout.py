"""Cats vs Dogs: shared 3-conv head + fully-connected tail with dropout 0.5 (seed 000, "An introduction to Global Average Pooling"); see bench/specs/_gap_head.py."""

from bench.specs import _gap_head
from bench.specs.base import Spec

SPEC = Spec(
    name="gap_head_fc_dropout",
    title="Cats vs Dogs: shared 3-conv head + fully-connected tail with dropout 0.5",
    kind="supervised",
    source="seed 000, An introduction to Global Average Pooling in convolutional neural networks",
    hparams=dict(_gap_head.HPARAMS, tail="fc", dropout=0.5),
    budgets=_gap_head.BUDGETS,
    metric="val_acc",
    higher_is_better=True,
    target=0.7,
    tolerances=_gap_head.TOLERANCES,
    init=_gap_head.INIT,
    impl="gap_head",
    load_data=_gap_head.load_data,
    evaluate=_gap_head.evaluate,
    notes="Quality: validation accuracy on the validation images (1000; full budget 500); target 0.7. "
          "Full budget reduced from the document's (see bench/specs/_gap_head.py).",
)
