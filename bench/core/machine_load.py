"""How busy the machine was while a cell ran, for the config card.

A speed figure is only as good as the machine was quiet. Each cell records, at its start and its
end, the load average and the CPU time that *other* processes (everything but this process and
its children) have used, read from ``/proc``. Their difference over the cell's wall time is the
number of cores other work kept busy (``other_cores``); a cell is marked ``busy`` when that is
at least :data:`BUSY_CORES`. The report marks such speed figures and the regression gate
refuses to judge them.

Where ``/proc`` is not readable (not Linux), only the load average is recorded and ``busy`` is
``None`` (unknown).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

BUSY_CORES = 0.5  # other processes kept at least half a core busy on average during the cell
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _own_pids() -> set[int]:
    """This process and its descendants (a cell's framework may fork helpers)."""
    me = os.getpid()
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    own, todo = set(), [me]
    while todo:
        pid = todo.pop()
        own.add(pid)
        todo.extend(children.get(pid, ()))
    return own


def _other_cpu_s() -> float | None:
    """CPU seconds (user + system) used so far by every process but this one and its children."""
    try:
        own = _own_pids()
        total = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) in own:
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / _TICKS
    except OSError:
        return None


def snapshot() -> dict:
    """The machine's load now: load averages and other processes' CPU seconds so far."""
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {"time": time.time(), "loadavg": load, "other_cpu_s": _other_cpu_s()}


def summarise(start: dict, end: dict) -> dict:
    """What the card keeps: both snapshots' load averages, and the cores other work kept busy."""
    out = {
        "loadavg_start": start.get("loadavg"),
        "loadavg_end": end.get("loadavg"),
        "other_cores": None,
        "busy": None,
        "busy_threshold_cores": BUSY_CORES,
    }
    wall = end["time"] - start["time"]
    if start.get("other_cpu_s") is not None and end.get("other_cpu_s") is not None and wall > 0:
        # a process that exited during the cell takes its CPU time with it: a lower bound
        other = max(0.0, end["other_cpu_s"] - start["other_cpu_s"]) / wall
        out.update(other_cores=round(other, 3), busy=other >= BUSY_CORES)
    return out
