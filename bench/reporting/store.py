"""Result records and their storage. Each run is one JSON file, written atomically (a temporary
file renamed into place), so an interrupted run never leaves a half-written result. The record
types and their schema versions are :mod:`bench.reporting.schema`'s."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from bench.core.errors import BenchError
from bench.reporting.schema import STATUSES, RecordError, Result


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
    except (TypeError, RecordError) as exc:
        raise BenchError(f"cannot read result file {path}: {exc}") from None
    if r.status not in STATUSES:
        raise BenchError(f"cannot read result file {path}: partial record (unknown status {r.status!r})")
    return r


# records of other kinds kept beside the results, by the names their writers give them
OTHER_RECORDS = ("tour-*.json", "speed-*.json")


def load_dir(directory: Path) -> list[Result]:
    """Every result file in ``directory`` (the tour's and speed records beside them left out)."""
    others = {p for pattern in OTHER_RECORDS for p in Path(directory).glob(pattern)}
    return [load(p) for p in sorted(Path(directory).glob("*.json")) if p not in others]


def check_algorithms(names, results, where: str, consequence: str = "") -> None:
    """Every name in ``names`` has results among ``results`` (read from ``where``); else a
    one-line BenchError naming it. A name that is neither an algorithm of this checkout nor one of
    the results' is an unknown algorithm, and the nearest names of both are suggested, as
    ``bench run --algo`` names one it does not know; ``consequence``: what the command cannot do
    without it, said when there is no name near it to suggest."""
    import difflib

    from bench import specs

    there = sorted({r.algo for r in results})
    known = set(specs.all_specs())
    listed = ", ".join(there) or "none"
    for name in names:
        if name in there:
            continue
        if name in known:
            raise BenchError(f"no results of algorithm '{name}' in {where} (algorithms with results there: {listed})")
        near = difflib.get_close_matches(name, sorted(set(there) | known), n=3)
        said = f"; did you mean {' or '.join(near)}?" if near else (f": {consequence}" if consequence else "")
        raise BenchError(f"unknown algorithm '{name}'{said} (algorithms with results in {where}: {listed})")
