"""keras implementations: one module per algorithm."""
