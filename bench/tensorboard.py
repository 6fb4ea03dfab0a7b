"""TensorBoard event files for a run's curves, written by the harness (not by the backends).

Because the harness writes them from the evaluation points every driver produces, the files
have the same structure for TensorFlow, PyTorch and Keras: one run directory per cell,
``DIR/<algo>/<backend>-<device>-seed<seed>-<budget>``, with the scalar tags

* ``loss``                      mean training loss of the evaluation interval,
* ``metric/<name>``             every quality metric the spec's ``evaluate`` returns
                                (for RL this includes the evaluation return),
* ``quality``                   the spec's primary metric again, under one tag for all algorithms,
* ``time/train_s``              training time so far (compile included, evaluation excluded),
* ``progress/<name>``           counters an RL run reports (episodes, updates),
* ``throughput/<unit>``         one point per timed round, written when the cell ends.

The x axis (``step``) is the number of train steps (or environment steps) so far.

The writer is plain Python (TFRecord framing with CRC-32C, and the two small protobuf
messages ``Event`` and ``Summary`` encoded by hand), so a PyTorch cell does not have to import
TensorFlow to write its curves. TensorBoard and ``tf.compat.v1.train.summary_iterator`` read
the files; tests/test_tensorboard.py checks that.
"""

from __future__ import annotations

import math
import os
import socket
import struct
import time
from pathlib import Path

# points in a curve that are coordinates, not scalars to plot, and counters (under progress/)
COORDS = ("epoch", "step", "samples", "train_time_s", "env_steps")
COUNTERS = ("episodes", "episode", "updates")

_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked_crc(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        bits = n & 0x7F
        n >>= 7
        if n:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _field(num: int, wire: int, payload: bytes) -> bytes:
    return _varint((num << 3) | wire) + payload


def _bytes_field(num: int, data: bytes) -> bytes:
    return _field(num, 2, _varint(len(data)) + data)


def _event(wall_time: float, step: int, *, file_version: str | None = None,
           scalars: dict[str, float] | None = None) -> bytes:
    msg = _field(1, 1, struct.pack("<d", wall_time)) + _field(2, 0, _varint(int(step)))
    if file_version is not None:
        msg += _bytes_field(3, file_version.encode())
    if scalars:
        summary = b"".join(
            _bytes_field(1, _bytes_field(1, tag.encode()) + _field(2, 5, struct.pack("<f", value)))
            for tag, value in scalars.items()
        )
        msg += _bytes_field(5, summary)
    return msg


def _record(data: bytes) -> bytes:
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", _masked_crc(header)) + data + struct.pack("<I", _masked_crc(data))


class EventWriter:
    """Appends scalar summaries to one ``events.out.tfevents.*`` file in ``logdir``."""

    def __init__(self, logdir: str | os.PathLike):
        self.logdir = Path(logdir)
        self.logdir.mkdir(parents=True, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}.{os.getpid()}"
        self.path = self.logdir / name
        self._fh = open(self.path, "ab")
        self._write(_event(time.time(), 0, file_version="brain.Event:2"))

    def _write(self, event: bytes) -> None:
        self._fh.write(_record(event))
        self._fh.flush()

    def scalars(self, step: int, values: dict[str, float]) -> None:
        clean = {k: float(v) for k, v in values.items() if _is_number(v) and math.isfinite(float(v))}
        if clean:
            self._write(_event(time.time(), step, scalars=clean))

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def run_dir(root: str | os.PathLike, algo: str, backend: str, device: str, seed: int, budget: str) -> Path:
    return Path(root) / algo / f"{backend}-{device}-seed{seed}-{budget}"


def point_scalars(point: dict, metric: str | None) -> dict[str, float]:
    """The scalars of one evaluation point, under the tags every backend shares."""
    out = {}
    if _is_number(point.get("loss")):
        out["loss"] = point["loss"]
    if _is_number(point.get("train_time_s")):
        out["time/train_s"] = point["train_time_s"]
    for key, value in point.items():
        if key in COORDS or key == "loss" or not _is_number(value):
            continue
        out[f"progress/{key}" if key in COUNTERS else f"metric/{key}"] = value
    if metric and _is_number(point.get(metric)):
        out["quality"] = point[metric]
    return out


def point_step(point: dict) -> int:
    for key in ("step", "env_steps", "epoch"):
        if _is_number(point.get(key)):
            return int(point[key])
    return 0


class CurveLogger:
    """The ``on_eval`` callback of one cell: every evaluation point becomes a TensorBoard event."""

    def __init__(self, root, algo, backend, device, seed, budget):
        self.writer = EventWriter(run_dir(root, algo, backend, device, seed, budget))
        self.metric: str | None = None

    def __call__(self, point: dict) -> None:
        self.writer.scalars(point_step(point), point_scalars(point, self.metric))

    def finish(self, result) -> None:
        tp = result.throughput or {}
        unit = str(tp.get("unit") or "samples/s").replace(" ", "_")
        for i, v in enumerate(tp.get("values") or []):
            self.writer.scalars(i, {f"throughput/{unit}": v})
        self.writer.close()


def write_result(root, result) -> Path:
    """Write a finished Result's curve as events (for results made without ``--tensorboard``)."""
    logger = CurveLogger(root, result.algo, result.backend, result.device, result.seed, result.budget)
    logger.metric = result.metric
    for point in result.curve or []:
        logger(point)
    logger.finish(result)
    return logger.writer.logdir
