"""The quick tour's two measurements beside its cells: the first-steps parity of its algorithms,
in a process of its own while the cells run (``python -m bench.execute.tour OUT ALGOS BACKENDS``),
and the side-by-side speed of its supervised algorithms (``bench speed``'s interleaved rounds,
:func:`bench.execute.side_by_side.interleave`), after them. Both go into one tour record,
``tour-<session>.json`` beside the cells' results, with the tour's targets: the report reads it
for its verdict and parity sections."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.execute.side_by_side import ROOT, configs_of, interleave
from bench.reporting.store import atomic_write

PARITY_TIMEOUT_S = 600.0


def start_parity(algos, backends, out: Path) -> subprocess.Popen:
    """The parity process, started now; it writes its rows to ``out`` (its output beside it)."""
    log = open(out.with_suffix(".log"), "w")
    cmd = [sys.executable, "-m", "bench.execute.tour", str(out), ",".join(algos), ",".join(backends)]
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ROOT)


def finish_parity(proc: subprocess.Popen, out: Path, timeout_s: float = PARITY_TIMEOUT_S) -> dict:
    """The parity process's record, once it has ended (killed past ``timeout_s``): its rows and
    the algorithms it could not compare, with why."""
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return {"rows": [], "errors": {"*": f"the parity process ran past {timeout_s:g} s and was stopped"}}
    try:
        return json.loads(out.read_text())
    except (OSError, ValueError):
        tail = " | ".join(out.with_suffix(".log").read_text(errors="replace").strip().splitlines()[-2:])
        return {"rows": [], "errors": {"*": f"the parity process ended with exit code {proc.returncode}: {tail}"}}


def speed(cells, out_dir: Path, rounds: int, round_s: float, warmup_s: float, say) -> list[str]:
    """The supervised algorithms' cells side by side in one session of interleaved rounds, each
    against its algorithm's first backend -> the speed record written (its name under
    ``out_dir/speed``), or none when no cell is supervised."""
    group = [c for c in cells if c.spec.kind == "supervised"]
    if not group:
        return []
    session = time.strftime("speed-%Y%m%d-%H%M%S-tour")  # a speed record's name: the report finds it
    log_dir = out_dir / "speed" / session
    log_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "speed" / f"{session}.json"
    configs = configs_of(group, [("this", sys.executable)])
    algos = ", ".join(dict.fromkeys(c.algo for c in group))
    say(f"speed side by side: {algos} on {len(configs)} configurations, {rounds} interleaved rounds")
    record = interleave(
        configs,
        rounds=rounds,
        round_s=round_s,
        warmup_s=warmup_s,
        out=out,
        log_dir=log_dir,
        say=lambda text: None,
        extra={"session": session, "tour": True},
    )
    failed = [c["label"] for c in record["configs"] if c["status"] != "ok"]
    if failed:
        say(f"speed side by side: {', '.join(failed)} failed (their logs: {log_dir})")
    return [out.name]


def write_record(out_dir: Path, session: str, targets: dict, parity: dict, speed_files: list[str]) -> Path:
    """The tour record: its targets, the parity rows and the speed records' names."""
    record = {
        "kind": "tour",
        "schema": 1,
        "session": session,
        "written_at": time.time(),
        "targets": targets,
        "parity": {"protocol": "first_steps", **parity},
        "speed_records": speed_files,
    }
    path = out_dir / f"{session}.json"
    atomic_write(path, json.dumps(record, indent=1, default=str))
    return path


def main(argv=None) -> int:
    """The parity process: the first-steps protocol of every algorithm, each on every backend."""
    from bench.train import parity

    out, algos, backends = (argv or sys.argv[1:])[:3]
    rows, errors = [], {}
    for algo in algos.split(","):
        try:
            rows += parity.first_steps(algo, backends.split(","))
        except Exception as exc:  # the others are still compared; this one says why
            errors[algo] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
    atomic_write(Path(out), json.dumps({"rows": rows, "errors": errors}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())


class Showcase:
    """The tour's parity and speed around its cells: the parity process starts with the cells
    (:meth:`__init__`); :meth:`finish`, once they have run, waits for it, runs the speed rounds and
    writes the tour record; :meth:`stop` ends the parity process (an interrupted run)."""

    def __init__(self, cells, out_dir: Path, targets: dict, speed_settings: dict):
        self.cells, self.out_dir, self.targets, self.speed_settings = cells, out_dir, targets, speed_settings
        self.session = time.strftime("tour-%Y%m%d-%H%M%S")
        self.algos = list(dict.fromkeys(c.algo for c in cells))
        self.backends = list(dict.fromkeys(c.backend for c in cells))
        self.scratch = Path(tempfile.mkdtemp(prefix="bench-tour-"))
        self.proc = None
        if len(self.backends) > 1:  # one backend: nothing to compare
            self.proc = start_parity(self.algos, self.backends, self.scratch / "parity.json")

    def finish(self, say) -> Path:
        if self.proc is None:
            parity = {"rows": [], "errors": {"*": "one backend: nothing to compare"}}
        else:
            say("parity: waiting for the first-steps protocol ...")
            parity = finish_parity(self.proc, self.scratch / "parity.json")
        files = speed(self.cells, self.out_dir, say=say, **self.speed_settings)
        self._clean()
        return write_record(self.out_dir, self.session, self.targets, parity, files)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._clean()

    def _clean(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)
