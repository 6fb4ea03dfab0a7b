"""Cats vs Dogs: shared 3-conv head + fully-connected tail
(seed 000, "An introduction to Global Average Pooling"); see bench/specs/families/gap_head.py."""

from bench.specs.families import gap_head as _gap_head

SPEC = _gap_head.make(
    "gap_head_fc",
    "Cats vs Dogs: shared 3-conv head + fully-connected tail",
    tail="fc",
    dropout=0.0,
)
