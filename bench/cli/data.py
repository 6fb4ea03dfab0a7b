"""``bench data status | fetch | verify``: the dataset files, where they are looked for, whether
the copies found are known-good, and getting the missing ones.

* ``status``: the directories searched, in order; for every dataset the copy found (with its size
  and checksum checked against the known copies), or whether it can be downloaded now, and the
  command that gets it. Exit 0.
* ``fetch [NAME ...]``: download what is missing (default: every dataset), into the suite's cache
  (``$BENCH_CACHE_DIR`` or ``~/.cache/dlbench``), where every run looks. Refused, exit 2, when
  ``BENCH_OFFLINE`` forbids downloads; exit 1 when a download fails.
* ``verify [NAME ...]``: every local copy's size and checksum, and its arrays read and checked by
  the loader the runs use. Exit 1 when a copy is damaged or a named dataset is missing.

A data directory named by ``BENCH_DATA_DIR`` that does not exist is an error (exit 2) here too.
The datasets and their files are declared in :mod:`bench.core.data.catalog`; docs/data.md describes
them.
"""

from __future__ import annotations

import os

from bench.cli.common import command
from bench.core.data import catalog, files
from bench.core.errors import BenchError


def _names(given) -> list[str]:
    names = list(dict.fromkeys(given or catalog.DATASETS))
    for n in names:
        catalog.get(n)
    return names


def _where() -> list[str]:
    env = os.environ.get("BENCH_DATA_DIR")
    lines = ["looked for in, in order:"]
    for i, d in enumerate(files.search_dirs(), 1):
        label = " (BENCH_DATA_DIR)" if env and i == 1 else ""
        lines.append(f"  {i}. {d}{label}{'' if d.is_dir() else ' (not there)'}")
    if not env:
        lines.append("  (BENCH_DATA_DIR is not set: set it to a directory of data files to look there first)")
    offline = files.offline()
    lines.append("downloads: " + ("off (BENCH_OFFLINE)" if offline else f"on, into {files.CACHE}"))
    return lines


def cmd_status(args) -> int:
    files.check_data_dir()
    names = _names(args.names)
    print("\n".join(_where()))
    print()
    for name in names:
        ds = catalog.get(name)
        st = catalog.state(name, probe_network=not args.no_network)
        if st.present:
            ok, text = files.check(st.file, st.path)
            verdict = {True: "present, verified", False: "present, BAD", None: "present, unverified"}[ok]
            print(f"{name:13s} {verdict}: {st.path} ({text})")
            if ok is False:
                print(f"{'':13s} fix: replace it; {catalog.fix(name)}")
        elif st.download is not None:
            size = f", {st.download.size:,} bytes" if st.download.size else ""
            print(
                f"{name:13s} missing, downloadable: 'bench data fetch {name}' gets {st.download.filename} "
                f"from {st.download.url}{size}"
            )
        else:
            stand_in = f"; runs that allow it use {ds.fallback} instead" if ds.fallback else ""
            print(f"{name:13s} missing ({st.reason}){stand_in}")
            print(f"{'':13s} fix: {catalog.fix(name)}")
    return 0


def cmd_fetch(args) -> int:
    files.check_data_dir()
    names = _names(args.names)
    if files.offline():
        missing = [n for n in names if not catalog.state(n, probe_network=False).present]
        if missing:
            raise BenchError(
                f"downloads are off (BENCH_OFFLINE={os.environ.get('BENCH_OFFLINE')}): "
                f"{', '.join(missing)} cannot be fetched; unset BENCH_OFFLINE, or put the files in "
                "a directory and set BENCH_DATA_DIR to it"
            )
    failed = 0
    for name in names:
        try:
            path, downloaded = catalog.fetch(name)
        except BenchError as exc:
            print(f"{name}: {exc}")
            failed += 1
            continue
        print(f"{name}: {'downloaded to' if downloaded else 'already here:'} {path}")
    return 1 if failed else 0


def cmd_verify(args) -> int:
    files.check_data_dir()
    names = _names(args.names)
    bad = 0
    for name in names:
        checks = catalog.verify(name)
        if not checks:
            print(f"{name}: missing; {catalog.fix(name)}")
            bad += bool(args.names)  # a dataset named and missing fails; the default sweep only reports
            continue
        for c in checks:
            verdict = {True: "ok", False: "BAD", None: "ok (no checksum known)"}[c.ok]
            print(f"{name}: {verdict}: {c.path}: {c.text}")
            bad += c.ok is False
    return 1 if bad else 0


def register(sub) -> None:
    p = sub.add_parser(
        "data",
        help="dataset files: status, fetch, verify",
        description="The dataset files: where they are looked for, whether the copies found are "
        "known-good (status, verify), and getting the missing ones (fetch). See docs/data.md.",
    )
    ds = p.add_subparsers(dest="data_command", required=True, parser_class=type(p))
    names_help = f"datasets ({', '.join(catalog.DATASETS)}; default: all)"
    st = command(
        ds,
        "status",
        cmd_status,
        "where datasets are looked for, which are here (checked), how to get the rest",
        "Where datasets are looked for, which are present (size and checksum checked against the known copies), "
        "and how to get the others.",
    )
    st.add_argument("names", nargs="*", metavar="NAME", help=names_help)
    st.add_argument("--no-network", action="store_true", help="do not test whether download hosts answer")
    fe = command(
        ds,
        "fetch",
        cmd_fetch,
        "download the missing datasets into the suite's cache",
        "Download the missing datasets into the suite's cache (BENCH_OFFLINE=1 forbids it).",
    )
    fe.add_argument("names", nargs="*", metavar="NAME", help=names_help)
    ve = command(
        ds,
        "verify",
        cmd_verify,
        "check every local copy: size, checksum, arrays",
        "Check every local copy of the datasets: size and checksum against the known copies, and the arrays as "
        "the runs read them. Exit 1 when one is damaged.",
    )
    ve.add_argument("names", nargs="*", metavar="NAME", help=names_help)
