"""``bench gate``: the CI regression gate (:mod:`bench.execute.gate`). The cells of the
baseline's plan come from the planner, as every command's do."""

from __future__ import annotations

from pathlib import Path

from bench.cli import selection
from bench.cli.common import command
from bench.cli.compare import add_threshold_args, thresholds_from
from bench.core.errors import BenchError
from bench.core.paths import writable_dir
from bench.execute.gate import (
    DEFAULT_BASELINE,
    DEFAULT_PLAN,
    SPEED_CHOICES,
    SPEED_ROUNDS,
    __doc__ as GATE_DOC,
    gate,
    load_baseline,
    make_baseline,
    parse_injection,
)
from bench.plan import planner
from bench.specs import registry


def cells_of(plan: dict, algos=None, backends=None) -> list:
    """The cells of a baseline's plan (its algorithms, backends, seeds, threads and settings),
    narrowed to ``algos`` and ``backends``, from the planner; a backend an algorithm lacks is left out."""
    algos = algos or plan["algos"]
    unknown = [a for a in algos if a not in plan["algos"]]
    if unknown:
        raise BenchError(
            f"algorithm(s) {', '.join(unknown)} not in the baseline; it covers: {', '.join(plan['algos'])}"
        )
    cells = []
    for algo in algos:
        have = tuple(b for b in backends or plan["backends"] if registry.has_impl(algo, b))
        for seed in plan["seeds"] if have else ():
            sel = planner.Selection(
                algos=(algo,),
                backends=have,
                device=plan["device"],
                seed=seed,
                budget=plan["budget"],
                per_algo=plan["overrides"],
                threads=plan["threads"],
                probe=True,
            )
            cells += planner.cells(sel)
    if not cells:
        raise BenchError("nothing to run for that selection")
    return cells


def cmd_gate(args) -> int:
    split = lambda v: [x.strip() for raw in (v or []) for x in raw.split(",") if x.strip()] or None  # noqa: E731
    if args.make_baseline:
        if args.repeats < 1:
            raise BenchError("--repeats must be at least 1")
        plan = dict(DEFAULT_PLAN)
        return make_baseline(Path(args.baseline), args.repeats, plan, cells_of(plan))
    if args.out is not None:  # checked before any cell runs
        writable_dir(args.out, "--out")
    if args.speed not in SPEED_CHOICES:
        raise BenchError(f"--speed {args.speed}: choose from {', '.join(SPEED_CHOICES)}")
    if args.speed_rounds < 3:
        raise BenchError(f"--speed-rounds must be at least 3, got {args.speed_rounds}")
    inject = parse_injection(args.inject_slowdown)
    plan, base = load_baseline(Path(args.baseline))
    return gate(
        Path(args.baseline),
        plan,
        base,
        cells_of(plan, split(args.algo), split(args.backend)),
        args.out,
        not args.no_confirm,
        thresholds_from(args),
        args.record,
        args.speed,
        args.baseline_ref,
        inject,
        args.speed_rounds,
    )


def register(sub) -> None:
    p = command(sub, "gate", cmd_gate, "the CI regression gate: run the baseline's quick cells and compare", GATE_DOC)
    p.add_argument(
        "--baseline", default=str(DEFAULT_BASELINE), help="baseline directory (default results/baselines/quick-cpu)"
    )
    selection.add(p, "--algo", "--backend", notes={"--algo": "only these of the baseline", "--backend": "only these"})
    p.add_argument("--out", default=None, help="keep this run's results here (default: a temporary directory)")
    p.add_argument("--no-confirm", action="store_true", help="do not rerun flagged cells")
    p.add_argument("--record", action="store_true", help="record this run in the history database")
    p.add_argument("--make-baseline", action="store_true", help="measure and write a new baseline")
    p.add_argument("--repeats", type=int, default=3, help="runs of each cell in a new baseline (default 3)")
    p.add_argument(
        "--speed",
        default="interleaved",
        help="interleaved (default: the baseline's code side by side with this checkout), recorded (against the "
        "baseline's recorded numbers, on its machine only) or none",
    )
    p.add_argument("--baseline-ref", default="HEAD~1", help="the baseline's code for --speed interleaved (a git ref)")
    p.add_argument("--speed-rounds", type=int, default=SPEED_ROUNDS, help=f"rounds (default {SPEED_ROUNDS})")
    p.add_argument(
        "--inject-slowdown",
        default=None,
        metavar="BACKEND=FRACTION",
        help="for testing the gate: slow this checkout's train step of BACKEND by FRACTION (e.g. torch=0.10)",
    )
    add_threshold_args(p)
