"""Cats vs Dogs: shared 3-conv head + fully-connected tail with dropout 0.5
(seed 000, "An introduction to Global Average Pooling"); see bench/specs/families/gap_head.py."""

from bench.specs.families import gap_head as _gap_head

SPEC = _gap_head.make(
    "gap_head_fc_dropout",
    "Cats vs Dogs: shared 3-conv head + fully-connected tail with dropout 0.5",
    tail="fc",
    dropout=0.5,
)
