"""``bench speed``: speed measured side by side, in interleaved rounds, with the ratio's
uncertainty (:mod:`bench.execute.side_by_side`). The configurations come from the planner, as
``bench run``'s cells do."""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

from bench.cli import selection
from bench.cli.common import command, say
from bench.core.errors import BenchError
from bench.execute import pipeline
from bench.execute.side_by_side import (
    ROUND_S,
    ROUNDS,
    WARMUP_S,
    add_efficiency,
    configs_of,
    default_cpus,
    efficiency_setup,
    interleave,
)
from bench.plan import planner
from bench.reporting.speed_stats import table
from bench.reporting.store import atomic_write
from bench.train import measurements


# the command line --------------------------------------------------------------------------------
def parse_cpus(text: str | None) -> list[int] | None:
    """``0,1`` or ``0-3`` or a mix -> CPU numbers, each one this process may run on."""
    if text is None:
        return None
    have = os.sched_getaffinity(0)
    cpus: set[int] = set()
    try:
        for part in filter(None, (p.strip() for p in text.split(","))):
            lo, _, hi = part.partition("-")
            cpus.update(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        raise BenchError(f"--cpus {text!r}: give CPU numbers such as 0,1 or 0-3") from None
    bad = sorted(cpus - have)
    if not cpus or bad:
        raise BenchError(
            f"--cpus {text!r}: CPU(s) {bad or '(none)'} not available here; this process may use {sorted(have)}"
        )
    return sorted(cpus)


def pythons(values: list[str] | None) -> list[tuple[str, str]]:
    """The ``--python`` values -> [(name, interpreter)], each checked (it runs, and imports this
    checkout's bench) before any worker starts; none given: this interpreter, named ``this``."""
    from bench.execute import python_envs as pyenv

    if not values:
        return [("this", sys.executable)]
    out: dict[str, str] = {}
    for value in values:
        if value.strip() == "this":
            name, path = "this", sys.executable
        else:
            name, path = pyenv.resolve(value)
        if name in out:
            raise BenchError(f"--python {value}: the name '{name}' is given twice; give each environment its own name")
        pyenv.describe(path)
        out[name] = str(path)
    return list(out.items())


DESCRIPTION = (
    "Speed measured side by side: one persistent worker per configuration (algorithm x backend "
    "x mode x precision x engine x Python environment), compile and warm-up excluded, then timed rounds run in "
    "a freshly shuffled order every round; samples/s per configuration and, against the reference, the median "
    "of the per-round ratios with a bootstrap confidence interval. Supervised specs."
)


def register(sub) -> None:
    p = command(
        sub,
        "speed",
        cmd_speed,
        "speed side by side: one worker per configuration, interleaved timed rounds, ratios with intervals",
        DESCRIPTION,
    )
    selection.add(
        p,
        "--algo",
        "--backend",
        "--engine",
        "--mode",
        "--precision",
        "--device",
        "--budget",
        "--set",
        "--seed",
        "--threads",
        required=("--algo",),
        defaults={"--budget": "full"},
        command="speed",
    )
    p.add_argument(
        "--python",
        action="append",
        metavar="NAME=PATH",
        help="a Python environment to run every configuration under (repeatable: a version A/B); NAME alone is "
        ".envs/NAME (bench env create); 'this' is this interpreter (the default when none is given)",
    )
    p.add_argument(
        "--measure",
        default=None,
        metavar="NAME",
        help="time a kind of measurement that is a rate (bench.train.measurements, or a plug-in's) instead of "
        "the train step (default: the train step)",
    )
    p.add_argument("--copies", type=int, default=1, help="workers per configuration (2: a self-A/B; default 1)")
    p.add_argument("--rounds", type=int, default=ROUNDS, help=f"timed rounds, at least 3 (default {ROUNDS})")
    p.add_argument("--steps", type=int, default=None, help="train steps a round (default: about --round-seconds)")
    p.add_argument("--round-seconds", type=float, default=ROUND_S, help=f"a round's length (default {ROUND_S:g} s)")
    p.add_argument("--warmup-seconds", type=float, default=WARMUP_S, help=f"warm-up (default {WARMUP_S:g} s)")
    p.add_argument("--reference", default=None, help="the configuration the ratios divide by (default: the first)")
    p.add_argument(
        "--cpus", default=None, help="CPU affinity of every worker, e.g. 0,1 (default: the last --threads CPUs here)"
    )
    p.add_argument("--efficiency", action="store_true", help="also the model-FLOP utilisation against a measured peak")
    selection.add(p, "--results-dir", "--db", "--no-history", notes={"--results-dir": "the record goes under speed/"})


def cmd_speed(args) -> int:
    from bench.core.paths import writable_dir
    from bench.reporting.store import results_dir

    for name, value, least in (("--rounds", args.rounds, 3), ("--copies", args.copies, 1)):
        if value < least:
            raise BenchError(f"{name} must be at least {least}, got {value}")
    if args.steps is not None and args.steps < 1:
        raise BenchError(f"--steps must be at least 1, got {args.steps}")
    for name, value in (("--round-seconds", args.round_seconds), ("--warmup-seconds", args.warmup_seconds)):
        if not (math.isfinite(value) and value > 0):
            raise BenchError(f"{name} must be a positive number of seconds, got {value:g}")
    if args.device == "all":
        raise BenchError("--device all: bench speed compares on one device; give cpu or gpu")
    cpus = parse_cpus(args.cpus)
    cells = planner.cells(selection.selection_of(args, every=False, seeds=1, tensorboard=None))
    for cell in cells if args.measure else ():  # a rate of bench.train.measurements, for every cell's kind
        measurements.get(args.measure, cell.spec.kind, rate=True)
    cells, skipped = pipeline.plan_data(cells, say)  # the data, as for bench run: stand-ins said, absent ones skipped
    if not cells:
        say(f"no configuration can run: the data of all {len(skipped)} is not here (see the fix above)")
        return 1
    not_supervised = sorted({c.algo for c in cells if c.spec.kind != "supervised"})
    if not_supervised and not args.measure:
        raise BenchError(
            f"bench speed times supervised train steps; {', '.join(not_supervised)} is not supervised "
            "(bench run measures its speed)"
        )
    envs = pythons(args.python)
    configs = configs_of(cells, envs, args.copies, args.measure)
    cpus = cpus or default_cpus(max(c.threads for c in cells))
    labels = [c.label for c in configs]
    if args.reference is not None and args.reference not in labels:
        raise BenchError(
            f"--reference {args.reference}: no such configuration; the configurations: {', '.join(labels)}"
        )
    base = Path(args.results_dir).expanduser() if args.results_dir else results_dir()
    out_dir = writable_dir(base / "speed", "--results-dir")
    session = time.strftime("speed-%Y%m%d-%H%M%S")
    log_dir = out_dir / session
    log_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{session}.json"
    print(f"bench speed: {len(configs)} configurations, {args.rounds} interleaved rounds; record: {out}", flush=True)
    if not args.no_history:  # checked before any worker starts
        from bench.core.paths import writable_file
        from bench.reporting.history import db_path

        writable_file(db_path(args.db, args.results_dir), "--db" if args.db else "the history database")
    extra = {"session": session}
    if args.efficiency:
        extra["efficiency"] = efficiency_setup(configs, cpus)
    try:
        record = interleave(
            configs,
            rounds=args.rounds,
            steps=args.steps,
            round_s=args.round_seconds,
            warmup_s=args.warmup_seconds,
            seed=args.seed,
            cpus=cpus,
            out=out,
            log_dir=log_dir,
            reference=args.reference,
            say=lambda text: print(text, flush=True),
            extra=extra,
        )
    except KeyboardInterrupt:
        print(f"bench speed: interrupted; the rounds measured so far are in {out}", file=sys.stderr)
        raise
    if args.efficiency:
        add_efficiency(record)
        atomic_write(out, json.dumps(record, default=str))
    where = _record_history(record, args)
    print()
    print(table(record))
    if where:
        print(f"\nrecorded in {where} as session {record['session']}")
    failed = [c["label"] for c in record["configs"] if c["status"] != "ok"]
    print(f"\nrecord: {out}")
    if failed:
        print(f"bench speed: {len(failed)} configuration(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _record_history(record: dict, args) -> str | None:
    """The record in the history database; a database that cannot take it is said, not fatal
    (the record file is the measurement)."""
    import sqlite3

    from bench.reporting.history import History, db_path

    if args.no_history:
        return None
    path = db_path(args.db, args.results_dir)
    try:
        with History(path) as h:
            h.add_speed(record)
    except (BenchError, sqlite3.Error, OSError) as exc:
        print(f"bench speed: warning: not recorded in the history {path} ({exc})", file=sys.stderr)
        return None
    return str(path)
