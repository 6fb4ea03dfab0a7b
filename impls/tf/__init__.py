"""tf implementations: one module per algorithm."""
