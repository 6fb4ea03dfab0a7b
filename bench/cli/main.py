"""The ``bench`` command: the parser and its command table, one module of :mod:`bench.cli` per
subcommand (each adds its parser with ``register(subparsers)``), and :func:`main`, which turns
every failure into one line and an exit status.

Bad input gives a one-line message and exit status 2; a run whose cells did not all finish ok,
or whose results could not be written, exits 1 (130 after Ctrl-C, 143 after SIGTERM); never a
traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from bench.cli import (
    compare,
    curves,
    data,
    env,
    gate,
    history,
    listing,
    pretrain,
    report,
    rl_summary,
    run,
    speed,
)
from bench.cli.common import (
    EXIT_FAILED_CELLS,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    Parser,
    one_line,
    stdout_gone,
)
from bench.core.errors import BenchError
from bench.execute.pipeline import Terminated

# the subcommands, in the order of `bench --help`: each module's register(subparsers) adds its parser
COMMANDS = (listing, run, speed, env, report, compare, history, pretrain, gate, curves, rl_summary, data)


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="bench", description="Benchmark TensorFlow, PyTorch and Keras on the same algorithms.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.register(sub)
    return p


def main(argv=None) -> int:
    """``bench ARGV``."""
    try:
        args = parser().parse_args(argv)
        code = args.func(args)
        sys.stdout.flush()  # a reader that went away (`bench list | head`) is found here, not at exit
        return code
    except BenchError as exc:
        print(f"bench: error: {one_line(exc)}", file=sys.stderr)
        return getattr(exc, "exit_code", EXIT_USAGE)
    except KeyboardInterrupt as exc:
        print("bench: interrupted; results already written are kept", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except BrokenPipeError:
        stdout_gone()
        return 0
    except OSError as exc:  # an output that failed after the checks (a disk that filled up, ...)
        where = f" {exc.filename}" if exc.filename else ""
        print(f"bench: error: cannot write{where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED_CELLS
    except Exception as exc:  # a bug: still one line, the traceback on request
        if os.environ.get("BENCH_TRACEBACK"):
            raise
        print(
            f"bench: internal error: {type(exc).__name__}: {one_line(exc)} (BENCH_TRACEBACK=1 shows where)",
            file=sys.stderr,
        )
        return EXIT_FAILED_CELLS


if __name__ == "__main__":
    sys.exit(main())
