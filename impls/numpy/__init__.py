"""numpy implementations: one module per algorithm."""
