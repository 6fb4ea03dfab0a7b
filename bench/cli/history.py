"""``bench history import | list | export``: the SQLite result history
(:mod:`bench.reporting.history`)."""

from __future__ import annotations

import time

from bench.cli import selection
from bench.core.errors import BenchError
from bench.core.paths import writable_file
from bench.reporting.history import History, db_path
from bench.reporting.store import atomic_write


# command line ---------------------------------------------------------------------------------
def register(sub) -> None:
    p = sub.add_parser("history", help="the results database: import, list, export")
    selection.add(p, "--db")
    hs = p.add_subparsers(dest="history_command", required=True, parser_class=type(p))
    imp = hs.add_parser("import", help="import result JSON files/directories or pytest-benchmark JSON")
    imp.add_argument("paths", nargs="+")
    imp.add_argument("--session", default=None, help="name for this batch (default: import-<time>)")
    imp.set_defaults(func=cmd_import)
    ls = hs.add_parser("list", help="stored sessions")
    ls.set_defaults(func=cmd_list)
    ex = hs.add_parser("export", help="export the flat columns to CSV")
    ex.add_argument("csv")
    ex.set_defaults(func=cmd_export)


def cmd_import(args) -> int:
    with History(args.db) as h:
        added, kept, session = h.import_paths(args.paths, args.session)
    print(
        f"{added} results imported into {db_path(args.db)} as session {session}"
        + (f" ({kept} already stored, left as they were)" if kept else "")
    )
    return 0


def cmd_list(args) -> int:
    with History(args.db, create=False) as h:
        if h.count() == 0 and not h.conn.execute("SELECT COUNT(*) FROM speed").fetchone()[0]:
            print(f"history database {h.path} is empty")
            return 0
        frame = h.sessions()
        speed = h.conn.execute(
            "SELECT session, COUNT(*), MIN(started_at), GROUP_CONCAT(label, ', ') FROM speed GROUP BY session"
        ).fetchall()
    frame["started_at"] = frame["started_at"].map(
        lambda t: time.strftime("%Y-%m-%d %H:%M", time.localtime(t)) if t == t and t else ""
    )
    if not frame.empty:
        print(frame.to_string(index=False))
    for session, n, started, labels in speed:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(started)) if started else ""
        print(f"{session} (bench speed, {when}): {n} configurations: {labels}")
    return 0


def cmd_export(args) -> int:
    out = writable_file(args.csv, "export file")
    with History(args.db, create=False) as h:
        frame = h.to_frame()
    if frame.empty:
        raise BenchError(f"history database {db_path(args.db)} is empty; nothing to export")
    try:
        atomic_write(out, frame.to_csv(index=False))
    except OSError as exc:
        raise BenchError(f"cannot write {args.csv}: {exc}") from None
    print(f"{len(frame)} rows written to {args.csv}")
    return 0
