"""Output paths checked before any work: a directory or file the run will write must be writable,
or creatable, now, so that a bad path is one line and exit 2 before a cell starts rather than a
traceback after the work is done. The checks leave nothing behind: a directory that does not exist
is not created (its nearest existing parent is tried instead), and the probe file is removed.

Relative paths mean what the user typed: they resolve against the working directory
(:func:`absolute`), not against wherever a subprocess runs.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench.core.errors import BenchError


def absolute(path: str | os.PathLike) -> Path:
    """``path`` against the working directory (``~`` expanded), without resolving links."""
    return Path(os.path.abspath(Path(path).expanduser()))


def _nonempty(path, what: str) -> Path:
    if path is None or not str(path).strip():
        raise BenchError(f"{what} is empty: give a path")
    return Path(path).expanduser()


def _probe(directory: Path) -> str | None:
    """None when a file can be created (and removed) in ``directory``; else why not."""
    try:
        fd, name = tempfile.mkstemp(prefix=".bench-write-check-", dir=directory)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    os.unlink(name)
    return None


def writable_dir(path, what: str) -> Path:
    """``path`` as a Path when it is a writable directory, or one that can be created; else a
    BenchError naming ``what`` (e.g. "--results-dir") and the reason."""
    p = _nonempty(path, what)
    if p.exists():
        if not p.is_dir():
            raise BenchError(f"{what} {path} is a file, not a directory")
        why = _probe(p)
        if why:
            raise BenchError(f"{what} {path} is not writable ({why})")
        return p
    parent = absolute(p).parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise BenchError(f"{what} {path} cannot be created: {parent} is a file")
    why = _probe(parent)
    if why:
        raise BenchError(f"{what} {path} cannot be created in {parent} ({why})")
    return p


def writable_file(path, what: str) -> Path:
    """``path`` as a Path when a file can be written there (atomically: its directory must take a
    new file); else a BenchError naming ``what``."""
    p = _nonempty(path, what)
    if p.is_dir():
        raise BenchError(f"{what} {path} is a directory, not a file")
    if p.name in ("", ".", ".."):
        raise BenchError(f"{what} {path} is not a file name")
    writable_dir(p.parent if str(p.parent) else Path("."), f"the directory of {what}")
    return p
