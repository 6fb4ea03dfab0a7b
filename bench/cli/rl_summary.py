"""``bench rl-summary DIR...``: solved seeds and the median time to solve, per RL algorithm
(:mod:`bench.reporting.rl_summary`)."""

from __future__ import annotations

from pathlib import Path

from bench.cli import selection
from bench.cli.common import command, existing_dir
from bench.core.errors import BenchError
from bench.reporting.rl_summary import DEFAULT_DIR, _kind, markdown, summarise
from bench.reporting.store import check_algorithms, load_dir


def cmd_rl_summary(args) -> int:
    results = [r for d in args.dirs for r in load_dir(Path(d))]
    algos = [a.strip() for a in ",".join(args.algo or ()).split(",") if a.strip()]
    if algos:
        check_algorithms(algos, results, ", ".join(str(d) for d in args.dirs))
        results = [r for r in results if r.algo in algos]
    rl = [r for r in results if _kind(r) in ("rl", None)]  # a record that does not say is given the benefit
    if not rl:
        raise BenchError(
            f"no RL results in {', '.join(str(d) for d in args.dirs)} ({len(results)} result files, "
            "none of an RL algorithm); run an RL algorithm first, e.g. 'bench run --algo dqn'"
        )
    print(markdown(summarise(rl)))
    if len(rl) < len(results):
        print(f"\n({len(results) - len(rl)} results of other kinds left out)")
    return 0


def register(sub) -> None:
    p = command(sub, "rl-summary", cmd_rl_summary, "RL results over seeds: solved seeds, median time to solve", __doc__)
    p.add_argument(
        "dirs",
        nargs="*",
        type=existing_dir,
        default=[DEFAULT_DIR],
        metavar="DIR",
        help="directories of result records (default results/recorded/rl)",
    )
    selection.add(p, "--algo", notes={"--algo": "only these algorithms' rows (default: every RL algorithm there)"})
