"""Per-framework translations of the specs in bench/specs."""
