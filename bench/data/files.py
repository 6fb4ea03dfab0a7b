"""Finding a dataset or weights file: the data directory first, then the usual caches, then a
download when online; otherwise a message that names the file and where to put it."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.data.base import data_dir
from bench.errors import BenchError

CACHE = Path(os.environ.get("BENCH_CACHE_DIR", Path.home() / ".cache" / "dlbench"))


@dataclass(frozen=True)
class RemoteFile:
    filename: str  # the name looked for in every directory
    description: str  # what it is, for messages
    url: str | None = None  # canonical source (downloaded into the cache when online)
    sha256: str | None = None  # of the downloaded file, when known
    size: int | None = None  # bytes, when known (for messages)
    cache_names: tuple[str, ...] = ()  # other names it has in a framework cache


def search_dirs() -> list[Path]:
    dirs = []
    if data_dir() is not None:
        dirs.append(data_dir())
    dirs += [Path.home() / ".keras" / "datasets", Path.home() / ".keras" / "models", CACHE]
    return dirs


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def locate(f: RemoteFile, download: bool | None = None) -> Path:
    """The path of ``f``: found locally, or downloaded (``BENCH_OFFLINE=1`` forbids downloads)."""
    for d in search_dirs():
        for name in (f.filename, *f.cache_names):
            if (d / name).is_file():
                return d / name
    if download is None:
        download = not os.environ.get("BENCH_OFFLINE")
    if download and f.url:
        try:
            return _download(f)
        except OSError as exc:
            reason = f"downloading {f.url} failed ({exc})"
    else:
        reason = "downloads are off (BENCH_OFFLINE)" if f.url else "it has no download source"
    raise BenchError(missing_message(f, reason))


def missing_message(f: RemoteFile, reason: str) -> str:
    size = f" ({f.size:,} bytes)" if f.size else ""
    where = " or ".join(str(d) for d in search_dirs()[:2])
    return (f"{f.description} not found: put {f.filename}{size} in the data directory "
            f"(set BENCH_DATA_DIR; looked in {where} and {CACHE}); {reason}")


def _download(f: RemoteFile) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=CACHE, prefix=f".{f.filename}.")
    os.close(fd)
    try:
        with urllib.request.urlopen(f.url, timeout=60) as resp, open(tmp, "wb") as out:
            shutil.copyfileobj(resp, out)
        if f.sha256 and sha256(Path(tmp)) != f.sha256:
            raise OSError(f"checksum mismatch for {f.url}")
        return Path(shutil.move(tmp, CACHE / f.filename))
    finally:
        Path(tmp).unlink(missing_ok=True)
