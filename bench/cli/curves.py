"""``bench curves A B DIR --metric M``: head-to-head learning curves of two algorithms on the same
seeds (:mod:`bench.reporting.curves`)."""

from __future__ import annotations

from pathlib import Path

from bench.cli.common import command, existing_dir
from bench.reporting.curves import compare, markdown
from bench.reporting.store import check_algorithms, load_dir


def cmd_curves(args) -> int:
    results = [r for d in args.dirs for r in load_dir(Path(d))]
    check_algorithms(
        (args.algo_a, args.algo_b),
        results,
        ", ".join(str(d) for d in args.dirs),
        consequence=f"no (backend, device, seed) has finished runs of both {args.algo_a} and {args.algo_b}",
    )
    print(
        markdown(
            compare(results, args.algo_a, args.algo_b, args.metric, args.from_epoch),
            args.algo_a,
            args.algo_b,
            args.metric,
        )
    )
    return 0


def register(sub) -> None:
    p = command(sub, "curves", cmd_curves, "head-to-head learning curves of two algorithms on the same seeds", __doc__)
    p.add_argument("algo_a")
    p.add_argument("algo_b")
    p.add_argument("dirs", nargs="+", type=existing_dir, help="directories of result records")
    p.add_argument("--metric", required=True, help="a key of the curves, for example val_acc")
    p.add_argument("--from-epoch", type=int, default=0, help="ignore evaluations before this epoch")
