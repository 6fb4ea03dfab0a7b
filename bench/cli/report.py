"""``bench report DIR``: the HTML and Markdown report of the results in a directory
(:mod:`bench.reporting.report`)."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.cli import selection
from bench.cli.common import command
from bench.core.errors import BenchError
from bench.core.paths import writable_dir
from bench.reporting.compare import resolve
from bench.reporting.report import default_reference, speed_records_in, write
from bench.reporting.store import results_dir


# command line ---------------------------------------------------------------------------------
def register(sub) -> None:
    p = command(sub, "report", cmd_report, "HTML + Markdown comparison report of stored results")
    p.add_argument(
        "sources",
        nargs="*",
        default=None,
        help="result files or directories, or history selectors (default: results/runs)",
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
    if not args.sources and not (default.is_dir() and (any(default.glob("*.json")) or speed_records_in(default))):
        raise BenchError(
            f"no results in {default} yet: run 'bench run' first, or name result files, directories "
            "or a history selector (see 'bench report --help')"
        )
    sources = args.sources or [str(default)]
    results, seen, records = [], set(), []
    for src in sources:
        if Path(src).is_dir():
            records += speed_records_in(Path(src))
            if not any(Path(src).glob("*.json")) and records:
                continue  # a directory of speed records only
        got, _ = resolve(src, args.db)
        for r in got:
            if r.run_id not in seen:
                seen.add(r.run_id)
                results.append(r)
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
    )
    bar.close()
    print(
        f"report of {len(results)} results ({n_algos} algorithms) written to {html_path} and {md_path}"
        + ("" if parity else "; parity: not run (no JUnit XML given)")
    )
    return 0
