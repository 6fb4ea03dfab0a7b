"""``bench pretrain``: train the ResNet50 backbone on a source task (a spec of
:data:`bench.core.pretrained.SOURCES`) in one cell and save it as the checkpoint that the transfer
spec's ``weights`` setting loads (:mod:`bench.core.pretrained` reads and checks it). The cell comes
from the planner and runs through the one pipeline, as ``bench run``'s do."""

from __future__ import annotations

from pathlib import Path

from bench.cli import selection
from bench.cli.common import command, say
from bench.cli.run import check_timeout
from bench.core.errors import BenchError
from bench.core.paths import writable_file
from bench.core.pretrained import SOURCES, default_checkpoint_path
from bench.execute import pipeline
from bench.execute.local import LocalExecutor
from bench.plan import planner
from bench.reporting.store import results_dir


def cmd_pretrain(args) -> int:
    if args.source not in SOURCES:
        raise BenchError(f"unknown source task '{args.source}'; choose from: {', '.join(SOURCES)}")
    out = Path(args.out) if args.out else default_checkpoint_path(args.source)
    check_timeout(args.timeout)
    writable_file(out, "--out")  # before the training, not after it
    sel = selection.selection_of(args, algos=(SOURCES[args.source],), save_weights=str(out))
    cells = planner.cells(sel)
    if len(cells) != 1:
        raise BenchError(f"bench pretrain trains one cell; --backend names {len(cells)}: give one")
    cell = cells[0]
    runs = results_dir() / "pretrain"  # the cell's result
    got = pipeline.run_cells(cells, runs, LocalExecutor(1), timeout_s=args.timeout, say=say, progress=False)
    if got.failure is not None:
        raise got.failure
    result = got.final[0]
    print(
        f"{cell.label} ({cell.budget}): {result.status}; {result.metric} = {result.value}; "
        f"{result.steps} steps in {result.wall_s:.0f} s"
    )
    if result.status != "ok" or not out.is_file():
        print(f"bench pretrain: no checkpoint written: {result.error}", flush=True)
        return 1
    print(f"checkpoint: {out}")
    return 0


def register(sub) -> None:
    p = command(
        sub, "pretrain", cmd_pretrain, "pretrain the ResNet50 backbone on a source task and save a checkpoint", __doc__
    )
    p.add_argument("--source", default="cifar10", help=f"source task: {', '.join(SOURCES)}")
    selection.add(
        p,
        "--backend",
        "--device",
        "--seed",
        "--budget",
        "--set",
        "--threads",
        "--timeout",
        defaults={"--backend": ["torch"], "--budget": "full", "--timeout": 7200.0},
        command="pretrain",
        notes={"--backend": "the one that trains it", "--set": "a setting of the source spec"},
    )
    p.add_argument("--out", default=None, help="checkpoint path (default: the suite's cache)")
