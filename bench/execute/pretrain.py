"""``bench pretrain``: train the ResNet50 backbone on a source task (a spec of
:data:`bench.core.pretrained.SOURCES`) in one cell and save it as the checkpoint that the transfer
spec's ``weights`` setting loads (:mod:`bench.core.pretrained` reads and checks it).

The command line sits above the matrix (it runs the cell through :func:`bench.execute.matrix.run_one`),
while :mod:`bench.core.pretrained` sits below the specs; keeping the two apart keeps the imports
one-way (``.importlinter``)."""

from __future__ import annotations

import math
from pathlib import Path

from bench import specs
from bench.config import RunConfig
from bench.core.errors import BenchError
from bench.core.paths import writable_file
from bench.core.pretrained import SOURCES, default_checkpoint_path
from bench.execute.matrix import run_one


def cmd_pretrain(args) -> int:
    if args.source not in SOURCES:
        raise BenchError(f"unknown source task '{args.source}'; choose from: {', '.join(SOURCES)}")
    out = Path(args.out) if args.out else default_checkpoint_path(args.source)
    if not (math.isfinite(args.timeout) and args.timeout > 0):
        raise BenchError(f"--timeout must be a positive number of seconds, got {args.timeout:g}")
    writable_file(out, "--out")  # before the training, not after it
    cell = RunConfig.create(
        SOURCES[args.source],
        args.backend,
        args.device,
        args.seed,
        args.budget,
        specs.parse_overrides(args.set),
        threads=args.threads,
        save_weights=str(out),
    )
    result = run_one(cell, args.timeout)
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
    p = sub.add_parser(
        "pretrain",
        help="pretrain the ResNet50 backbone on a source task and save a checkpoint",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--source", default="cifar10", help=f"source task: {', '.join(SOURCES)}")
    p.add_argument("--backend", default="torch", help="backend that trains it (default torch)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--budget", default="full")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a setting of the source spec")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--timeout", type=float, default=7200)
    p.add_argument("--out", default=None, help="checkpoint path (default: the suite's cache)")
    p.set_defaults(func=cmd_pretrain)
