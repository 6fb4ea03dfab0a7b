"""The config card every number carries: versions, device, threads, dtype, compile mode,
commit and machine. :func:`config_card` collects it in its JSON form (what pytest-benchmark's
``extra_info`` stores as well); a Result holds it as a typed :class:`bench.reporting.schema.ConfigCard`."""

from __future__ import annotations

import hashlib
import os
import platform
import socket
import subprocess
from functools import lru_cache
from pathlib import Path

from bench.core import backends

ROOT = Path(__file__).resolve().parents[2]  # the checkout whose commit is recorded


@lru_cache(maxsize=1)
def git_commit() -> dict:
    def git(*args):
        try:
            out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
            return out.stdout.strip() if out.returncode == 0 else None
        except (OSError, subprocess.TimeoutExpired):
            return None

    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(status) if status is not None else None}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


@lru_cache(maxsize=1)
def machine() -> dict:
    info = {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
    }
    # The fingerprint says whether two results came from comparable machines: it ignores the
    # host name (CI machines are fresh every time) and keeps what changes the speed.
    key = "|".join(str(info[k]) for k in ("cpu", "cores", "memory_gib", "python"))
    info["fingerprint"] = hashlib.sha256(key.encode()).hexdigest()[:12]
    return info


def config_card(backend: str, session_facts: dict, learner_facts: dict, dtype: str = "float32") -> dict:
    """The card of one cell: the backend session's facts and the learner's ``describe()`` over
    the declared fields (``ConfigCard.from_dict`` reads it; undeclared facts stay as facts)."""
    return {
        "backend": backend,
        "versions": backends.versions(backend, session_facts.get("keras_engine")),
        "dtype": dtype,
        **session_facts,
        **learner_facts,
        **git_commit(),
        "machine": machine(),
    }
