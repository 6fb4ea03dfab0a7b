"""What every command shares: the exit statuses, the one-line messages, the parser class whose
usage errors are one line and exit 2, and argparse types."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bench.core.errors import BenchError

EXIT_USAGE, EXIT_FAILED_CELLS, EXIT_INTERRUPTED, EXIT_TERMINATED = 2, 1, 130, 143


def say(message: str) -> None:
    """A line for the user on stderr (stdout keeps the summary table)."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


class RunFailed(BenchError):
    """An error after the work was done and kept: exit 1, not a usage error."""

    exit_code = EXIT_FAILED_CELLS


def existing_dir(text: str) -> Path:
    """argparse type of a directory argument: a missing one is a usage error (one line, exit 2)."""
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"no directory '{text}'")
    return Path(text)


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, as for every other bad input
        raise BenchError(f"{message} (see 'bench {self.prog.split()[-1]} --help')" if " " in self.prog else message)


def one_line(text: str) -> str:
    return " ".join(str(text).split("\n")).strip()


def stdout_gone() -> None:
    """stdout's reader went away (``bench list | head``): send the rest nowhere, quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def command(sub, name: str, func, help: str, description: str | None = None):
    """The parser of the subcommand ``name``, whose action is ``func(args)``; its description is
    ``description``'s first paragraph (a command module passes its docstring)."""
    p = sub.add_parser(name, help=help, description=description.split("\n\n")[0] if description else None)
    p.set_defaults(func=func)
    return p
