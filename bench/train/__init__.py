"""One cell in this process: the runner and the training loops (drivers) it calls, with the
bookkeeping they share."""
