"""Who runs the cells and how: the one pipeline (checks, executors, history), each cell in a
process of its own, the local and Ray executors, ``bench speed``'s side-by-side workers, Python
environments and the regression gate."""
