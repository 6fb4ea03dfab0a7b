"""Cats vs Dogs: shared 3-conv head + global average pooling tail
(seed 000, "An introduction to Global Average Pooling"); see bench/specs/families/gap_head.py."""

from bench.specs.families.gap_head import GAP_HEAD

SPEC = GAP_HEAD.spec("gap_head_gap", "Cats vs Dogs: shared 3-conv head + global average pooling tail")
