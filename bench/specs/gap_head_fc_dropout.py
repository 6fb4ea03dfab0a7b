"""Cats vs Dogs: shared 3-conv head + fully-connected tail with dropout 0.5
(seed 000, "An introduction to Global Average Pooling"); see bench/specs/families/gap_head.py."""

from bench.specs.families.gap_head import FC_TAIL

SPEC = FC_TAIL.spec(
    "gap_head_fc_dropout",
    "Cats vs Dogs: shared 3-conv head + fully-connected tail with dropout 0.5",
    hparams=dict(dropout=0.5),
)
