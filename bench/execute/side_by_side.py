"""``bench speed``: speed measured side by side, in interleaved rounds, with the ratio's uncertainty.

Timed one after another, in processes of their own, two cells see whatever else the machine did
at the time; their ratio mixes their speeds with the load. Here every configuration gets one
persistent worker process (:mod:`bench.execute.speed_worker`), which builds its learner as a ``bench
run`` cell does, times its first step (compile, reported apart) and warms up. Then the timed
rounds run: in each, every configuration runs a fixed number of train steps in turn, in a freshly
shuffled order (A C B, B A C, ...), alone (the others wait), with the same thread count and CPU
affinity. A burst of load lands on the rounds of that moment, and all the configurations ran in
that round, within seconds of each other.

Per configuration: samples/s of every round, median and spread, the harness's overhead (the
timed loop's time outside the train step). Against the reference configuration (the first, or
``--reference``): the ratio of each round's two speeds, its median, and a bootstrap confidence
interval for that median (:func:`ratio_interval`, scipy's bootstrap over the rounds).

A configuration is (algorithm, backend, mode, precision, engine) from the same selectors as
``bench run``, times the Python environments of ``--python NAME=PATH`` (a framework-version A/B:
the same cell under two versions; ``bench env create`` makes such an environment), times
``--copies`` (the same configuration as N workers: a self-A/B, whose ratio shows the method's
own noise). The gate (:mod:`bench.cli.gate`) runs the same rounds with a second checkout's code
(``root``).

The record (``speed/<session>.json`` in the results directory: configurations with their
versions, rounds, order, ratios, machine and load) is written after every round, so a crash, a
dead worker or Ctrl-C loses nothing measured; ``bench report`` shows it, and the history records
it. A worker that dies or fails is reported with its log's last line; its rounds so far are
kept, and the others go on.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.config import RunConfig
from bench.core import machine_load as load_mod
from bench.core.errors import BenchError
from bench.reporting.speed_stats import summarise
from bench.reporting.store import atomic_write

ROOT = Path(__file__).resolve().parents[2]
# 60 rounds of 0.2 s: adjacent rounds close in time (a burst of load lands on both sides of a
# ratio), and enough of them for a narrow interval (docs/speed.md has the measurements)
ROUNDS, ROUND_S, WARMUP_S = 60, 0.2, 2.0
SETUP_TIMEOUT_S = 900.0  # building the learner and compiling, per worker
LOG_TAIL = 2000


@dataclass
class Config:
    """One worker's configuration: the cell, the Python that runs it and the checkout it runs."""

    label: str
    cell: RunConfig
    python: str = sys.executable
    env_name: str = "this"
    root: Path = ROOT
    env: dict = field(default_factory=dict)  # extra environment variables (the gate's injected fault)
    measure: str | None = None  # a rate of bench.train.measurements timed instead of the train step


def worker_module(root: Path) -> str | None:
    """The worker's module in the checkout ``root``: this layout's, or the flat one of code from
    before the harness had folders (the gate's baseline checkout may be that old); None: neither."""
    for module in ("bench.execute.speed_worker", "bench.speed_worker"):
        if (Path(root) / (module.replace(".", "/") + ".py")).exists():
            return module
    return None


class WorkerDied(Exception):
    pass


class WorkerProcess:
    """A :mod:`bench.execute.speed_worker` process and its two pipes; its output goes to ``log``."""

    def __init__(self, config: Config, log: Path):
        self.config, self.log = config, log
        c2w_r, c2w_w = os.pipe()  # commands: parent -> worker
        w2c_r, w2c_w = os.pipe()  # replies: worker -> parent
        env = dict(os.environ, **config.env)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(config.root), os.environ.get("PYTHONPATH")]))
        with open(log, "w") as out:
            try:
                self.proc = subprocess.Popen(
                    [config.python, "-m", worker_module(config.root), str(c2w_r), str(w2c_w), config.cell.backend]
                    + [config.cell.engine or ""],
                    pass_fds=(c2w_r, w2c_w),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=config.root,
                    env=env,
                    start_new_session=True,
                )
            except OSError as exc:
                for fd in (c2w_r, c2w_w, w2c_r, w2c_w):
                    os.close(fd)
                raise WorkerDied(f"could not start {config.python} ({exc.strerror or exc})") from None
        os.close(c2w_r)
        os.close(w2c_w)
        self.to_worker = os.fdopen(c2w_w, "w")
        self.from_worker, self.buffer = w2c_r, b""

    def ask(self, message: dict, timeout_s: float) -> dict:
        try:
            self.to_worker.write(json.dumps(message) + "\n")
            self.to_worker.flush()
        except (BrokenPipeError, OSError):
            raise WorkerDied(self._death()) from None
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise WorkerDied(f"no reply within {timeout_s:g} s; killed")
            ready, _, _ = select.select([self.from_worker], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(self.from_worker, 65536)
                if not chunk:
                    raise WorkerDied(self._death())
                self.buffer += chunk
            elif self.proc.poll() is not None:
                raise WorkerDied(self._death())
        line, self.buffer = self.buffer.split(b"\n", 1)
        reply = json.loads(line)
        if "error" in reply:
            raise WorkerDied(reply["error"])
        return reply

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.wait()
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        return f"the worker process died ({how}); its log: {self.log_tail(1) or '(empty)'}"

    def log_tail(self, lines: int | None = None) -> str:
        try:
            text = self.log.read_text(errors="replace")[-LOG_TAIL:]
        except OSError:
            return ""
        if lines is None:
            return text
        return " | ".join(t.strip() for t in text.strip().splitlines()[-lines:])

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, 9)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self) -> None:
        try:
            self.to_worker.write(json.dumps({"cmd": "quit"}) + "\n")
            self.to_worker.flush()
            self.proc.wait(timeout=10)
        except Exception:  # gone already, or stuck: either way it goes
            self.kill()
        for close in (self.to_worker.close, lambda: os.close(self.from_worker)):
            try:
                close()
            except OSError:
                pass


def default_cpus(threads: int) -> list[int]:
    """The CPUs every worker is pinned to when ``--cpus`` is not given: the last ``threads`` of
    those this process may use. Pinned, a worker runs on the same core every round; left to the
    scheduler, it moves between cores, and on a shared virtual machine cores can differ in speed
    by 2x (measured here: one pinned worker ran 2.6e5 samples/s on CPU 0 and 5.2e5 on CPU 1), which
    turns the rounds' speeds bimodal."""
    have = sorted(os.sched_getaffinity(0))
    return have[-max(1, min(threads, len(have))) :]


def interleave(
    configs: list[Config],
    *,
    rounds: int = ROUNDS,
    steps: int | None = None,
    round_s: float = ROUND_S,
    warmup_s: float = WARMUP_S,
    seed: int = 0,
    cpus: list[int] | None = None,
    out: Path | None = None,
    log_dir: Path,
    reference: str | None = None,
    say=print,
    extra: dict | None = None,
) -> dict:
    """Start the workers (each builds and warms up alone), then ``rounds`` interleaved rounds.
    -> the record (also written to ``out`` after every round)."""
    cpus = sorted(cpus or default_cpus(max(c.cell.threads for c in configs)))
    rng = np.random.default_rng(seed)
    record = {
        "kind": "speed",
        "schema": 1,
        "session": time.strftime("speed-%Y%m%d-%H%M%S"),
        "started_at": time.time(),
        "rounds_asked": rounds,
        "round_s": round_s,
        "cpus": cpus,
        "seed": seed,
        "reference": reference,
        "order": [],
        "configs": [
            {
                "label": c.label,
                "cell": c.cell.label,
                "algo": c.cell.algo,
                "backend": c.cell.name,
                "device": c.cell.device,
                "mode": c.cell.mode,
                "precision": c.cell.precision,
                "engine": c.cell.engine,
                "threads": c.cell.threads,
                "budget": c.cell.budget,
                "overrides": dict(c.cell.overrides),
                "python": c.python,
                "env": c.env_name,
                "root": str(c.root),
                "measure": c.measure,
                "status": "starting",
                "error": None,
                "rounds": [],
            }
            for c in configs
        ],
        **(extra or {}),
    }
    entries = {c.label: e for c, e in zip(configs, record["configs"], strict=True)}
    workers: dict[str, WorkerProcess] = {}
    per_cell: dict[str, int] = {}  # steps a round of each cell
    load_start = load_mod.snapshot()

    def save(final: bool = False):
        """The record as it stands, after every round; the summary (a bootstrap per configuration)
        once, at the end: every reader computes it afresh from the rounds anyway."""
        if out is not None:
            record["load"] = load_mod.summarise(load_start, load_mod.snapshot())
            if final:
                record["summary"] = summarise(record, reference, seed)
            atomic_write(out, json.dumps(record, default=str))

    def fail(label: str, why: str, log: str = "") -> None:
        entry = entries[label]
        entry["status"], entry["error"] = "failed", why
        entry["log"] = log or None
        say(f"{label}: failed: {why}")
        worker = workers.pop(label, None)
        if worker is not None:
            worker.kill()
            worker.close()

    try:
        for i, c in enumerate(configs):  # all start (and import their frameworks) at once
            try:
                workers[c.label] = WorkerProcess(c, log_dir / f"{i:02d}-{_safe(c.label)}.log")
            except WorkerDied as exc:
                fail(c.label, str(exc))
        for c in configs:  # one at a time: each builds, compiles and warms up with the workers idle
            entry, w = entries[c.label], workers.get(c.label)
            if w is None:
                continue
            try:
                ready = w.ask(
                    {
                        "cmd": "setup",
                        "cell": c.cell.to_json(),
                        "cpus": cpus,
                        "warmup_s": warmup_s,
                        "measure": c.measure,
                    },
                    SETUP_TIMEOUT_S,
                )
            except WorkerDied as exc:
                fail(c.label, str(exc), w.log_tail())
                continue
            entry.update(
                status="ok",
                compile_s=ready["compile_s"],
                step_s=ready["step_s"],
                batch=ready["batch"],
                card=ready["card"],
                versions=ready["card"].get("versions", {}),
                # the same steps a round for every worker of one cell (copies, environments, the gate's two
                # checkouts): calibrated once, on the first of them to be ready
                steps=int(
                    steps or per_cell.setdefault(c.cell.to_json(), max(1, round(round_s / max(ready["step_s"], 1e-9))))
                ),
            )
            say(
                f"{c.label}: ready (compile {ready['compile_s']:.2f} s, step {ready['step_s'] * 1e3:.2f} ms, "
                f"{entry['steps']} steps a round)"
            )
            save()
        for r in range(rounds):
            alive = [c.label for c in configs if c.label in workers]
            if not alive:
                break
            order = [alive[i] for i in rng.permutation(len(alive))]
            record["order"].append(order)
            for label in entries:  # a slot per round for every configuration: rounds stay aligned
                entries[label]["rounds"].append(None)
            for label in order:
                entry, w = entries[label], workers.get(label)
                if w is None:
                    continue
                expected = entry["steps"] * entry["step_s"]
                try:
                    got = w.ask({"cmd": "round", "steps": entry["steps"]}, max(120.0, 30 * expected))
                except WorkerDied as exc:
                    fail(label, f"{exc} (in round {r + 1})", w.log_tail())
                    continue
                entry["rounds"][-1] = got
            save()
        record["status"] = "finished"
    except KeyboardInterrupt:
        record["status"] = "interrupted"
        raise
    finally:
        for w in workers.values():
            w.close()
        record["ended_at"] = time.time()
        save(final=True)
    return record


def _safe(label: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in label)[:80]


def configs_of(
    cells: list[RunConfig], envs: list[tuple[str, str]], copies: int = 1, measure: str | None = None
) -> list[Config]:
    """Every cell under every Python environment, ``copies`` times; labels name the environment
    (``@name``) when there are several, and the copy (``#k``) when there are copies."""
    out = []
    for cell in cells:
        for name, python in envs:
            for k in range(1, copies + 1):
                label = cell.label + (f"@{name}" if len(envs) > 1 else "") + (f"#{k}" if copies > 1 else "")
                out.append(Config(label, cell, python, name, measure=measure))
    return out


PEAK_SCRIPT = (
    "import json, os, sys; from bench.core.peak import matmul_peak; os.sched_setaffinity(0, json.loads(sys.argv[1])); "
    "print(json.dumps(matmul_peak(sys.argv[2], int(sys.argv[3]), device=sys.argv[4])))"
)


def measure_peak(precision: str, threads: int, cpus: list[int], device: str = "cpu") -> dict:
    """The matmul peak (:func:`bench.core.peak.matmul_peak`) in a process of its own, pinned as the
    workers are, at their thread count: what one of them could reach at best."""
    proc = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, json.dumps(cpus), precision, str(threads), device],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    if proc.returncode != 0:
        raise BenchError(f"the matmul peak probe failed: {(proc.stderr.strip().splitlines() or ['?'])[-1]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def efficiency_setup(configs: list[Config], cpus) -> dict:
    """The FLOPs of each configuration's training step (:mod:`bench.core.flops`, from the spec's layer
    list) and the measured peak of each (precision, threads, device) among them, before the
    workers start (the probe has the machine to itself)."""
    from bench.core import flops

    per_sample, peaks = {}, {}
    for c in configs:
        per_sample[c.label] = flops.step_flops(c.cell.algo, c.cell.hp).train_per_sample
        key = f"{c.cell.precision}/{c.cell.threads}/{c.cell.device}"
        if key not in peaks:
            peaks[key] = measure_peak(c.cell.precision, c.cell.threads, cpus, c.cell.device)
    return {"train_flops_per_sample": per_sample, "peaks": peaks}


def add_efficiency(record: dict) -> None:
    """Each configuration's model-FLOP utilisation: its median samples/s times the FLOPs of a
    sample's training step, over the peak at its precision and thread count."""
    eff = record.get("efficiency") or {}
    summary = record.get("summary") or summarise(record, record.get("reference"), record.get("seed", 0))
    for c in record["configs"]:
        f = eff.get("train_flops_per_sample", {}).get(c["label"])
        peak = eff.get("peaks", {}).get(f"{c['precision']}/{c['threads']}/{c['device']}")
        sps = summary["configs"].get(c["label"], {}).get("samples_per_s", {}).get("median")
        if f and peak and sps:
            c["flops_per_s"] = sps * f
            c["mfu"] = sps * f / peak["flops_per_s"]
