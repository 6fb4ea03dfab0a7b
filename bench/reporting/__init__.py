"""What is measured, as records: their schema and storage, the history, comparisons, the report,
speed statistics, learning curves, the RL summary and TensorBoard events."""
