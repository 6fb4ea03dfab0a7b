"""TensorBoard event files for a run's curves, written by the harness (not by the backends).

Because the harness writes them from the evaluation points every driver produces, the files
have the same structure for TensorFlow, PyTorch and Keras: one run directory per cell,
``DIR/<algo>/<backend>-<device>-seed<seed>-<budget>``, with the scalar tags

* ``loss``                      mean training loss of the evaluation interval,
* ``metric/<name>``             every quality metric the spec's ``evaluate`` returns
                                (for RL this includes the evaluation return, and the mean
                                return of the last training episodes as ``metric/train_return``),
* ``quality``                   the spec's primary metric again, under one tag for all algorithms,
* ``time/train_s``              training time so far (compile included, evaluation excluded),
* ``progress/<name>``           counters an RL run reports (episodes, updates),
* ``throughput/<unit>``         one point per timed round, written when the cell ends.

The x axis (``step``) is the kind of spec's declared curve axis (:data:`bench.reporting.schema.X_AXES`):
epochs for a supervised run, environment steps for an RL run.

The files are written by tensorboardX's ``SummaryWriter``, which needs no deep-learning framework
(it uses PyTorch's tensor type when PyTorch is installed). TensorBoard and
``tf.compat.v1.train.summary_iterator`` read them; tests/test_tensorboard.py checks that.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from bench.reporting.schema import CurvePoint, is_number, x_axis

# curve-point metrics that are coordinates, not scalars to plot, and counters (under progress/)
COORDS = ("epoch", "step", "samples", "train_time_s", "env_steps")
COUNTERS = ("episodes", "episode", "updates")
FLUSH_S = 2  # seconds after which the writer's thread flushes written events to the file


class EventWriter:
    """Scalar summaries of one run directory, through tensorboardX (one events file per writer)."""

    def __init__(self, logdir: str | os.PathLike):
        from tensorboardX import SummaryWriter

        self.logdir = Path(logdir)
        self.logdir.mkdir(parents=True, exist_ok=True)
        # the process id in the file name: two writers of one directory in the same second do not
        # collide; events reach the file within FLUSH_S, so a running cell's curves show live
        self._writer = SummaryWriter(logdir=str(self.logdir), filename_suffix=f".{os.getpid()}", flush_secs=FLUSH_S)

    def scalars(self, step: int, values: dict[str, float]) -> None:
        """Write the finite ``values`` at ``step``."""
        for tag, value in values.items():
            if is_number(value) and math.isfinite(float(value)):
                self._writer.add_scalar(tag, float(value), int(step))

    def close(self) -> None:
        self._writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_dir(root: str | os.PathLike, algo: str, backend: str, device: str, seed: int, budget: str) -> Path:
    return Path(root) / algo / f"{backend}-{device}-seed{seed}-{budget}"


def point_scalars(point: CurvePoint, metric: str | None) -> dict[str, float]:
    """The scalars of one evaluation point, under the tags every backend shares."""
    point = CurvePoint.from_dict(point)
    out = {}
    if is_number(point.loss):
        out["loss"] = point.loss
    if is_number(point.train_time_s):
        out["time/train_s"] = point.train_time_s
    for key in ("episodes", "updates"):
        if is_number(getattr(point, key)):
            out[f"progress/{key}"] = getattr(point, key)
    if is_number(point.train_return):
        out["metric/train_return"] = point.train_return
    for key, value in point.metrics.items():
        if key in COORDS or not is_number(value):
            continue
        out[f"progress/{key}" if key in COUNTERS else f"metric/{key}"] = value
    if metric and is_number(point.value(metric)):
        out["quality"] = point.value(metric)
    return out


def point_step(point: CurvePoint, kind: str | None) -> int:
    """The point's position on its kind's declared x-axis (0 where it has none)."""
    x = x_axis(kind).of(CurvePoint.from_dict(point))
    return int(x) if x is not None else 0


class CurveLogger:
    """The ``on_eval`` callback of one cell: every evaluation point becomes a TensorBoard event.
    ``metric`` and ``kind`` (the spec's) are set once the spec is known."""

    def __init__(self, root, algo, backend, device, seed, budget, kind: str | None = None):
        self.writer = EventWriter(run_dir(root, algo, backend, device, seed, budget))
        self.metric: str | None = None
        self.kind = kind

    def __call__(self, point: CurvePoint) -> None:
        self.writer.scalars(point_step(point, self.kind), point_scalars(point, self.metric))

    def finish(self, result) -> None:
        tp = result.throughput
        unit = (tp.unit or "samples/s").replace(" ", "_")
        for i, v in enumerate(tp.values):
            self.writer.scalars(i, {f"throughput/{unit}": v})
        self.writer.close()


def write_result(root, result) -> Path:
    """Write a finished Result's curve as events (for results made without ``--tensorboard``)."""
    logger = CurveLogger(root, result.algo, result.backend, result.device, result.seed, result.budget, result.kind)
    logger.metric = result.metric
    for point in result.curve:
        logger(point)
    logger.finish(result)
    return logger.writer.logdir
