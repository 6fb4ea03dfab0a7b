"""torch implementations: one module per algorithm."""
