"""The ``bench`` command: ``bench list | run`` here, and the subcommands that modules add through
``register(subparsers)`` (:data:`EXTRA_COMMANDS`): ``report``, ``compare``, ``history``,
``pretrain``, ``gate``, ``curves`` and ``rl-summary``. The older ``python -m bench.gate``,
``python -m bench.curves`` and ``python -m bench.rl.summary`` are aliases over the same parser
(:func:`main` with ``command``).

Bad input (an unknown algorithm, backend, device or setting, a GPU request where there is none)
gives a one-line message naming the valid choices and exit status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import sys
from pathlib import Path

from bench import backends, registry, specs
from bench.errors import BenchError, choices
from bench.results import Result, results_dir

EXIT_USAGE, EXIT_FAILED_CELLS = 2, 1
# modules that each add a subcommand through ``register(subparsers)``
EXTRA_COMMANDS: tuple[str, ...] = ("bench.report", "bench.compare", "bench.history", "bench.pretrain", "bench.gate",
                                   "bench.curves", "bench.rl.summary")


def _split(values, default):
    items = [v.strip() for raw in (values or []) for v in raw.split(",") if v.strip()]
    return items or list(default)


def build_cells(args) -> list:
    """Every cell of the selection as a resolved, validated RunConfig; any bad input is one
    BenchError before a cell starts."""
    from bench.config import RunConfig

    algos = _split(args.algo, [n for n, s in specs.all_specs().items() if s.in_default_run])
    for algo in algos:
        specs.get(algo)
    wanted = _split(args.backend, backends.BACKENDS)
    pool = backends.BACKENDS + backends.REFERENCE_BACKENDS
    for b in wanted:
        if b not in pool:
            raise BenchError(f"unknown backend '{b}'; choose from: {choices(pool)}")
    if args.device == "all":
        devices = backends.available_devices()
    else:
        backends.check_device(args.device)
        devices = [args.device]
    if args.budget not in specs.BUDGETS:
        raise BenchError(f"unknown budget '{args.budget}'; choose from: {choices(specs.BUDGETS)}")
    if args.seeds < 1:
        raise BenchError("--seeds must be at least 1")
    overrides = specs.parse_overrides(args.set)
    cells = []
    for algo, backend, device, seed in itertools.product(
        algos, wanted, devices, range(args.seed, args.seed + args.seeds)
    ):
        if not registry.has_impl(algo, backend):
            if args.backend:  # asked for by name: say so; otherwise skip quietly
                registry.check(algo, backend)
            continue
        cells.append(RunConfig.create(algo, backend, device, seed, args.budget, overrides, threads=args.threads,
                                      tensorboard=getattr(args, "tensorboard", None)))
    if not cells:
        raise BenchError("nothing to run for that selection")
    return cells


def cmd_list(args) -> int:
    import pandas as pd

    devices = backends.available_devices()
    rows = []
    for name, spec in specs.all_specs().items():
        row = {"algorithm": name, "kind": spec.kind}
        for b in backends.BACKENDS + backends.REFERENCE_BACKENDS:
            if registry.has_impl(name, b):
                row[b] = "yes" if backends.framework_installed(b) else "not installed"
            else:
                row[b] = "-"
        row["devices"] = ",".join(devices)
        row["title"] = spec.title
        rows.append(row)
    print(pd.DataFrame(rows).to_string(index=False))
    return 0


def summary_table(results: list[Result]):
    import pandas as pd

    rows = []
    for r in results:
        tp = r.throughput
        rows.append({
            "algo": r.algo, "backend": r.backend, "device": r.device, "seed": r.seed,
            "status": r.status,
            "metric": r.metric or "",
            "value": r.value,
            "target": "yes" if r.target_reached else ("no" if r.target is not None else "-"),
            "to_target_s": r.time_to_target_s,
            f"{tp.unit or 'samples/s'} (median)": tp.median,
            "IQR": (tp.p75 - tp.p25) if tp.median is not None else None,
            "compile_s": r.compile_s,
            "wall_s": r.wall_s,
        })
    return pd.DataFrame(rows)


def cmd_run(args) -> int:
    from tqdm import tqdm

    from bench.matrix import run_matrix

    cells = build_cells(args)
    out_dir = results_dir(args.results_dir)
    bar = tqdm(total=len(cells), desc="bench", unit="cell", disable=args.no_progress, file=sys.stderr)
    bar.set_postfix_str(cells[0].label)

    def on_result(result, path):
        bar.update(1)
        if result.status != "ok":
            bar.write(f"{result.algo}/{result.backend}/{result.device}/seed{result.seed}: "
                      f"{result.status}: {result.error}")
        if bar.n < len(cells):
            bar.set_postfix_str(cells[bar.n].label)

    done = run_matrix(cells, out_dir, args.timeout, on_result)
    bar.close()
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format", "{:.4g}".format):
        print(summary_table(done).to_string(index=False))
    print(f"\n{len(done)} results written to {out_dir}/")
    if not args.no_history:
        from bench.history import db_path, record_session

        try:
            print(f"recorded in {db_path()} as session {record_session(done, str(out_dir))}")
        except Exception as exc:  # the results are on disk; the history can import them later
            print(f"warning: not recorded in the history database: {exc}", file=sys.stderr)
    bad = [r for r in done if r.status != "ok"]
    if bad:
        print(f"{len(bad)} of {len(done)} cells did not finish ok", file=sys.stderr)
        return EXIT_FAILED_CELLS
    return 0


def existing_dir(text: str) -> Path:
    """argparse type of a directory argument: a missing one is a usage error (one line, exit 2)."""
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"no directory '{text}'")
    return Path(text)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, as for every other bad input
        raise BenchError(f"{message} (see 'bench {self.prog.split()[-1]} --help')"
                         if " " in self.prog else message)


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="bench", description="Benchmark TensorFlow, PyTorch and Keras on the same algorithms.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="algorithms x backends x devices available here").set_defaults(func=cmd_list)
    run = sub.add_parser("run", help="run a matrix of cells and print a summary table")
    run.add_argument("--algo", action="append",
                     help="algorithm(s), repeatable or comma-separated (default: all but the long Atari run)")
    run.add_argument("--backend", action="append", help="tf, torch, keras (default: all) or numpy (reference)")
    run.add_argument("--device", default="cpu", help="cpu, gpu or all (default: cpu)")
    run.add_argument("--seeds", type=int, default=1, help="number of seeds (default 1)")
    run.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    run.add_argument("--budget", default="quick", help="quick or full (default: quick)")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a spec setting")
    run.add_argument("--timeout", type=float, default=1800, help="seconds per cell (default 1800)")
    run.add_argument("--threads", type=int, default=None, help="framework threads, the same for intra-op, inter-op and OpenMP (default: the spec's, 1 for every spec today)")
    run.add_argument("--results-dir", default=None, help="where results go (default results/runs)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--tensorboard", default=None, metavar="DIR", help="write each cell's curves as TensorBoard events under DIR")
    run.add_argument("--no-history", action="store_true", help="do not record the results in the history database")
    run.set_defaults(func=cmd_run)
    for name in EXTRA_COMMANDS:  # modules that add their own subcommand: register(subparsers)
        importlib.import_module(name).register(sub)
    return p


def main(argv=None, command: str | None = None) -> int:
    """``bench ARGV``; with ``command``, ``bench COMMAND ARGV`` (the ``python -m`` aliases)."""
    if command:
        argv = [command, *(sys.argv[1:] if argv is None else argv)]
    try:
        args = parser().parse_args(argv)
        return args.func(args)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("bench: interrupted; results already written are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
