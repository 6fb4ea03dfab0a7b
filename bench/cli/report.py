"""``bench report DIR``: the HTML and Markdown report of the results in a directory
(:mod:`bench.reporting.report`).

A directory is searched through its subdirectories for result records and ``bench speed``
records (:func:`bench.reporting.report.find_records`). The JSON files that are neither are named
on one line and skipped; each record in a subdirectory that cannot be read is named on a line of
its own and left out, the report made from the rest; one directly in a directory named on the
command line is a one-line error, as before, the report left as it was. No record at all: a
one-line error, exit 1 (an empty directory is bad input, exit 2)."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.cli import selection
from bench.cli.common import RunFailed, command, say
from bench.core.errors import BenchError
from bench.core.paths import writable_dir
from bench.reporting.compare import resolve
from bench.reporting.report import (
    SPEED_RECORD,
    TOUR_RECORD,
    default_reference,
    find_records,
    json_files,
    read_record,
    write,
)
from bench.reporting.store import results_dir

SHOWN = 5  # files that are no record named on the line that skips them; the rest counted


# command line ---------------------------------------------------------------------------------
def register(sub) -> None:
    p = command(sub, "report", cmd_report, "HTML + Markdown comparison report of stored results")
    p.add_argument(
        "sources",
        nargs="*",
        default=None,
        help="result or speed record files, directories (searched through their subdirectories), or history "
        "selectors (default: results/runs)",
    )
    p.add_argument("--out", default="results", help="output directory (default results/)")
    p.add_argument("--name", default="report", help="file name stem (default report -> report.html, report.md)")
    p.add_argument(
        "--reference",
        default=None,
        help="backend the speedups are relative to (default tf, else the first backend with results)",
    )
    p.add_argument(
        "--parity",
        default=None,
        metavar="JUNIT_XML",
        help="JUnit XML of the parity tests (default: results/parity.xml when present)",
    )
    selection.add(p, "--db", notes={"--db": "where session, run id and commit selectors are looked up"})
    p.add_argument("--no-progress", action="store_true")
    p.add_argument(
        "--packed-speed",
        action="store_true",
        help="also compare the speed of cells that shared their node with other cells (quality-only runs, "
        "--jobs, Ray packing); left out by default",
    )


def cmd_report(args) -> int:
    from tqdm import tqdm

    out = writable_dir(args.out, "--out")
    default = results_dir()
    if not args.sources and not _has_json_files(default):
        raise BenchError(
            f"no results in {default} yet: run 'bench run' first, or name result files, directories "
            "or a history selector (see 'bench report --help')"
        )
    sources = args.sources or [str(default)]
    results, records, tours = _gather(sources, args.db)
    parity = Path(args.parity) if args.parity else None
    if parity is None and Path("results/parity.xml").exists():
        parity = Path("results/parity.xml")
    if parity is not None and not parity.exists():
        raise BenchError(f"no such parity results file: {parity}")
    reference = args.reference or default_reference(results)
    n_algos = len({r.algo for r in results})
    bar = tqdm(total=n_algos, desc="report", unit="algo", disable=args.no_progress, file=sys.stderr)
    html_path, md_path = write(
        results,
        out,
        reference,
        parity,
        args.name,
        progress=lambda algo: (bar.set_postfix_str(algo), bar.update(1)),
        packed_speed=args.packed_speed,
        speed_records=records,
        tour=tours[-1] if tours else None,  # the newest tour's verdict and parity first
    )
    bar.close()
    print(
        f"report of {len(results)} results ({n_algos} algorithms) and {len(records)} speed records "
        f"from {', '.join(sources)} written to {html_path} and {md_path}"
        + ("" if parity else "; parity: not run (no JUnit XML given)")
    )
    return 0


def _has_json_files(directory: Path) -> bool:
    """Whether the default results directory holds any JSON file to look at (what they are is
    for :func:`_gather` to say)."""
    return directory.is_dir() and bool(json_files(directory))


def _gather(sources, db) -> tuple[list, list, list]:
    """The results and speed records of every source: a directory searched through its
    subdirectories, a file, or a history selector. What was passed over is named on stderr:
    the files that are no record (a few named, then the count), each record that could not be
    read. -> (results, speed records, tour records); none at all is an error (exit 1)."""
    results, seen, records, sessions, tours = [], set(), [], set(), []
    not_records, damaged, files = [], [], 0
    duplicates = 0

    def add_results(got):
        nonlocal duplicates
        for r in got:
            if r.run_id in seen:
                duplicates += 1
                continue
            seen.add(r.run_id)
            results.append(r)

    def add_speed(got):
        for rec in got:
            key = rec.get("session") or id(rec)
            if key not in sessions:
                sessions.add(key)
                records.append(rec)

    for src in sources:
        path = Path(src)
        if path.is_dir():
            found = find_records(path)
            add_results(found.results)
            add_speed(found.speed)
            tours += found.tours
            not_records += found.not_records
            damaged += found.damaged
            files += found.files
            continue
        if path.is_file():
            kind, got = read_record(path)
            files += 1
            if kind == SPEED_RECORD:
                add_speed([got])
                continue
            if kind == TOUR_RECORD:
                tours.append(got)
                continue
        add_results(resolve(src, db)[0])  # a result or pytest-benchmark file, or a history selector
    if not_records:
        names = ", ".join(str(p) for p in not_records[:SHOWN]) + (
            f" and {len(not_records) - SHOWN} more" if len(not_records) > SHOWN else ""
        )
        say(
            f"skipped {len(not_records)} file{'s that are' if len(not_records) > 1 else ' that is'} "
            f"not {'result or speed records' if len(not_records) > 1 else 'a result or speed record'}: {names}"
        )
    for line in damaged:
        say(f"{line}; left out of the report")
    if duplicates:
        say(f"{duplicates} results found twice (the same run id) counted once")
    if not results and not records:
        raise RunFailed(
            f"no result or speed records in {', '.join(sources)}: {files} JSON file(s) looked at, "
            f"{len(not_records)} not records, {len(damaged)} that could not be read"
        )
    return results, records, tours
