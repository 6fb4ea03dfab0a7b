"""``bench compare BASELINE CURRENT``: a noise-aware comparison of two sets of results
(:mod:`bench.reporting.compare`), and the threshold flags the gate shares."""

from __future__ import annotations

import json
from pathlib import Path

from bench.cli import selection
from bench.cli.common import command
from bench.core.errors import BenchError
from bench.core.paths import writable_file
from bench.reporting.compare import EXIT_REGRESSION, Thresholds, compare, print_comparison, resolve
from bench.reporting.store import atomic_write


# command line ---------------------------------------------------------------------------------
def add_threshold_args(p) -> None:
    p.add_argument(
        "--threshold", type=float, default=Thresholds.rel, help="relative throughput drop that may count (default 0.10)"
    )
    p.add_argument(
        "--alpha", type=float, default=Thresholds.alpha, help="Mann-Whitney U significance level (default 0.01)"
    )
    p.add_argument(
        "--quality-rel",
        type=float,
        default=Thresholds.quality_rel,
        help="relative quality tolerance floor (default 0.05)",
    )
    p.add_argument(
        "--raw-speed",
        action="store_true",
        help="judge speed on raw samples/s even when both sides carry the gate's CPU probe",
    )
    p.add_argument(
        "--packed-speed",
        action="store_true",
        help="also judge the speed of runs that shared their node with other cells (quality-only runs)",
    )


def thresholds_from(args) -> Thresholds:
    if not (0 < args.threshold < 1) or not (0 < args.alpha < 1) or args.quality_rel < 0:
        raise BenchError("--threshold and --alpha must lie between 0 and 1, --quality-rel must be >= 0")
    return Thresholds(
        rel=args.threshold,
        alpha=args.alpha,
        quality_rel=args.quality_rel,
        normalized=not getattr(args, "raw_speed", False),
        judge_packed=getattr(args, "packed_speed", False),
    )


def register(sub) -> None:
    p = command(sub, "compare", cmd_compare, "compare a baseline with a current run, noise-aware")
    p.add_argument("baseline", help="file, directory, session, run id, commit or 'latest'")
    p.add_argument("current", help="file, directory, session, run id, commit or 'latest'")
    selection.add(p, "--db", notes={"--db": "where session, run id and commit selectors are looked up"})
    p.add_argument("--force", action="store_true", help="compare runs from different machines anyway")
    p.add_argument("--json", default=None, metavar="PATH", help="also write the comparison as JSON")
    add_threshold_args(p)


def cmd_compare(args) -> int:
    th = thresholds_from(args)
    if args.json:
        writable_file(args.json, "--json")
    base, base_name = resolve(args.baseline, args.db)
    cur, cur_name = resolve(args.current, args.db)
    cmp = compare(base, cur, th, args.force, (base_name, cur_name))
    print_comparison(cmp)
    if args.json:
        try:
            atomic_write(Path(args.json), json.dumps(cmp.to_dict(), indent=1, default=str))
        except OSError as exc:
            raise BenchError(f"cannot write --json {args.json}: {exc}") from None
    return EXIT_REGRESSION if cmp.regressions else 0
