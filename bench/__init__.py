"""bench: one harness that measures TensorFlow, PyTorch and Keras implementations of the same
algorithms the same way.

This package never imports a deep-learning framework at module level; frameworks are imported
lazily by :mod:`bench.core.backends` and by the implementation modules under ``impls/``.
"""

__version__ = "0.1.0"
