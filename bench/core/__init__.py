"""The harness core beneath every other folder: errors, the learner interface, initial weights and
layouts, shared architectures, datasets, metrics, statistics, the config card, backend setup,
execution modes, machine load, FLOPs and the matmul peak. Framework-free at import time."""
