"""Finding a dataset or weights file: the data directory first, then the usual caches, then a
download when online; otherwise a message that names the file and where to put it.

``BENCH_DATA_DIR`` names the data directory; a name that is not a directory is an error
(:func:`check_data_dir`), never a silent fall back. ``BENCH_OFFLINE`` (``1``, ``true``, ``yes``
or ``on``) forbids downloads; ``0``, ``false``, ``no``, ``off`` or empty allow them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
import urllib.parse
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bench.core.data.base import data_dir
from bench.core.errors import BenchError

CACHE = Path(os.environ.get("BENCH_CACHE_DIR", Path.home() / ".cache" / "dlbench"))
_ON, _OFF = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class RemoteFile:
    filename: str  # the name looked for in every directory
    description: str  # what it is, for messages
    url: str | None = None  # canonical source (downloaded into the cache when online)
    sha256: str | None = None  # of the downloaded file, when known
    size: int | None = None  # bytes, when known (for messages)
    cache_names: tuple[str, ...] = ()  # other names it has in a framework cache
    # other known-good copies of the same data, byte for byte different: (size, sha256, what it is)
    alternates: tuple[tuple[int, str, str], ...] = ()


def offline() -> bool:
    """True when ``BENCH_OFFLINE`` forbids downloads; a value that is neither on nor off is an error."""
    value = os.environ.get("BENCH_OFFLINE", "").strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise BenchError(f"BENCH_OFFLINE={os.environ['BENCH_OFFLINE']!r}: use 1 to forbid downloads or 0 to allow them")


def check_data_dir() -> Path | None:
    """The data directory the user named, which must exist: a mistyped ``BENCH_DATA_DIR`` is an
    error, not a reason to train on a stand-in."""
    d = data_dir()
    if d is not None and not d.is_dir():
        what = "is a file, not a directory" if d.exists() else "does not exist"
        raise BenchError(
            f"BENCH_DATA_DIR={os.environ.get('BENCH_DATA_DIR')} {what}; point it at the directory "
            "that holds the data files, or unset it ('bench data status' shows where files are looked for)"
        )
    return d


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


def find(f: RemoteFile) -> Path | None:
    """The first local copy of ``f`` in :func:`search_dirs` (no download), or None."""
    for d in search_dirs():
        for name in (f.filename, *f.cache_names):
            if (d / name).is_file():
                return d / name
    return None


def locate(f: RemoteFile, download: bool | None = None) -> Path:
    """The path of ``f``: found locally, or downloaded (``BENCH_OFFLINE=1`` forbids downloads)."""
    found = find(f)
    if found is not None:
        return found
    if download is None:
        download = not offline()
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
    return (
        f"{f.description} not found: put {f.filename}{size} in the data directory "
        f"(set BENCH_DATA_DIR; looked in {where} and {CACHE}); {reason}"
    )


def check(f: RemoteFile, path: Path) -> tuple[bool | None, str]:
    """Size and checksum of a local copy against what is known of ``f``: (True: a known-good copy,
    False: not one, None: nothing known to check against; the reason in words)."""
    size = path.stat().st_size
    known = ([(f.size, f.sha256, "the canonical file")] if f.sha256 or f.size else []) + list(f.alternates)
    if not known:
        return None, f"{size:,} bytes; no checksum known for {f.filename}"
    if not any(size == s for s, _, _ in known if s):
        sizes = " or ".join(f"{s:,}" for s, _, _ in known if s)
        return False, f"{size:,} bytes, expected {sizes}: truncated or a different file"
    digest = sha256(path)
    for s, h, what in known:
        if h and digest == h and (not s or s == size):
            return True, f"{size:,} bytes, sha256 {digest[:12]}... matches {what}"
    if not any(h for _, h, _ in known):
        return None, f"{size:,} bytes (the expected size); no checksum known"
    return False, f"sha256 {digest[:12]}... matches no known copy of {f.filename}: damaged or a different file"


@lru_cache(maxsize=None)
def reachable(url: str, timeout: float = 3.0) -> bool:
    """Whether the host of ``url`` accepts a connection within ``timeout`` seconds (once per
    host and process): downloads are tried only where they can work."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def download(f: RemoteFile) -> Path:
    """Download ``f`` into the cache (checksum checked when known); OSError when it fails."""
    return _download(f)


def _download(f: RemoteFile) -> Path:
    import urllib.request

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
