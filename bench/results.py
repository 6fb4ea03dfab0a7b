"""Result records and their storage. Each run is one JSON file, written atomically (a temporary
file renamed into place), so an interrupted run never leaves a half-written result."""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.errors import BenchError

STATUSES = ("ok", "failed", "diverged", "timeout", "crashed")


@dataclass
class Result:
    algo: str
    backend: str
    device: str
    seed: int
    budget: str
    status: str = "ok"
    error: str | None = None
    log: str | None = None  # traceback or stderr tail of a failed, crashed or timed-out cell
    metric: str | None = None  # name of the spec's primary quality metric
    metrics: dict = field(default_factory=dict)  # final quality metrics
    target: float | None = None
    target_reached: bool = False
    time_to_target_s: float | None = None  # training wall time incl. compile, at first hit
    steps_to_target: int | None = None
    throughput: dict = field(default_factory=dict)  # unit, median, p25, p75, min, max, values
    compile_s: float | None = None  # the first train step (trace/compile), excluded above
    train_time_s: float | None = None  # all train steps, excluding evaluation
    wall_s: float | None = None  # the whole cell, set-up and evaluation included
    steps: int = 0
    curve: list = field(default_factory=list)
    dataset: str | None = None
    hparams: dict = field(default_factory=dict)
    overrides: dict = field(default_factory=dict)
    card: dict = field(default_factory=dict)
    run_id: str = field(default_factory=lambda: time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:8])
    started_at: float = field(default_factory=time.time)

    @property
    def value(self) -> float | None:
        return self.metrics.get(self.metric) if self.metric else None

    def to_dict(self) -> dict:
        return _clean(asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> "Result":
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def _clean(obj: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN/inf to strings JSON can hold."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "ndim", 1) == 0:
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    return obj


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def results_dir(value: str | os.PathLike | None = None) -> Path:
    return Path(value or os.environ.get("BENCH_RESULTS_DIR") or "results/runs")


def save(result: Result, directory: Path) -> Path:
    name = f"{result.run_id}_{result.algo}_{result.backend}_{result.device}_s{result.seed}.json"
    path = Path(directory) / name
    atomic_write(path, json.dumps(result.to_dict(), indent=1, sort_keys=True))
    return path


def load(path: Path) -> Result:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise BenchError(f"cannot read result file {path}: {exc}") from None
    return from_data(data, path)


def from_data(data, path) -> Result:
    """A Result from the parsed JSON of ``path``; a partial or foreign record is a BenchError."""
    if not isinstance(data, dict) or "algo" not in data:
        raise BenchError(f"cannot read result file {path}: not a result record")
    missing = [k for k in ("backend", "device", "budget", "seed") if data.get(k) in (None, "")]
    if missing:
        raise BenchError(f"cannot read result file {path}: partial record (missing {', '.join(missing)})")
    try:
        r = Result.from_dict(data)
    except TypeError as exc:
        raise BenchError(f"cannot read result file {path}: {exc}") from None
    if r.status not in STATUSES:
        raise BenchError(f"cannot read result file {path}: partial record (unknown status {r.status!r})")
    if r.status == "ok" and not isinstance(r.throughput, dict):
        raise BenchError(f"cannot read result file {path}: partial record (throughput is not a table)")
    return r


def load_dir(directory: Path) -> list[Result]:
    return [load(p) for p in sorted(Path(directory).glob("*.json"))]
