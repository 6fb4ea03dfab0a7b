"""Result history: every run's Results in one SQLite file.

Each row is one Result (one cell: algorithm x backend x device x seed x budget), keyed by
algorithm, backend, device, seed, budget, git commit, machine fingerprint and library versions,
with the whole record kept as JSON so nothing is lost. A *session* groups the rows of one
``bench run`` invocation or one import, so ``bench compare`` can name a set of results by one
word.

Sources that import: the JSON files ``bench run`` writes (results/runs/), and pytest-benchmark's
JSON output (``--benchmark-json`` / ``--benchmark-autosave``; the harness's ``extra_info``
carries algorithm, backend, device, metric, value, dataset and config card).

``bench history import PATH...`` / ``bench history list`` / ``bench history export CSV``.

The database (:func:`db_path`) is ``--db`` when given; else, for ``bench run``, ``history.sqlite``
inside the ``--results-dir`` given on its command line, so the history travels with its
results; else ``$BENCH_HISTORY``; else ``history.sqlite`` in ``$BENCH_RESULTS_DIR`` or
``results/runs``. Relative paths are relative to the working directory.

A database another process holds locked (a write in progress) is waited for, up to
:data:`LOCK_TIMEOUT_S` (said once on stderr when it waits); only a lock held longer is a one-line
error (opening it) or the one warning of a history that stopped taking writes (recording a run).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3
import sys
import time
import uuid
from pathlib import Path

from bench import specs
from bench.core.errors import BenchError
from bench.reporting import store as res
from bench.reporting.schema import ConfigCard, Result, Throughput

DEFAULT_DB = "results/runs/history.sqlite"
# How long a command waits for a history database another process holds locked (a write in
# progress, ``BEGIN EXCLUSIVE``) before it gives up with a one-line error: sqlite3's busy timeout
# on every connection, so opening, reading and each write wait alike.
LOCK_TIMEOUT_S = 30.0
SOURCE_RUN, SOURCE_PYTEST = "bench-run", "pytest-benchmark"

COLUMNS = (
    "run_id",
    "session",
    "source",
    "algo",
    "backend",
    "device",
    "seed",
    "budget",
    "commit_sha",
    "dirty",
    "fingerprint",
    "versions",
    "status",
    "metric",
    "value",
    "higher_is_better",
    "unit",
    "tp_median",
    "tp_p25",
    "tp_p75",
    "tp_n",
    "compile_s",
    "time_to_target_s",
    "target_reached",
    "dataset",
    "started_at",
    "imported_at",
    "origin",
    "record",
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    run_id TEXT PRIMARY KEY,
    session TEXT NOT NULL,
    source TEXT NOT NULL,
    algo TEXT NOT NULL, backend TEXT NOT NULL, device TEXT NOT NULL,
    seed INTEGER, budget TEXT,
    commit_sha TEXT, dirty INTEGER, fingerprint TEXT, versions TEXT,
    status TEXT, metric TEXT, value REAL, higher_is_better INTEGER,
    unit TEXT, tp_median REAL, tp_p25 REAL, tp_p75 REAL, tp_n INTEGER,
    compile_s REAL, time_to_target_s REAL, target_reached INTEGER,
    dataset TEXT, started_at REAL, imported_at REAL, origin TEXT,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS results_key ON results
    (algo, backend, device, seed, budget, commit_sha, fingerprint, versions);
CREATE INDEX IF NOT EXISTS results_session ON results (session);
CREATE TABLE IF NOT EXISTS speed (
    session TEXT NOT NULL, label TEXT NOT NULL,
    algo TEXT, backend TEXT, device TEXT, mode TEXT, precision TEXT, env TEXT,
    commit_sha TEXT, fingerprint TEXT, versions TEXT, status TEXT,
    median REAL, p25 REAL, p75 REAL, rounds INTEGER, overhead REAL, mfu REAL,
    reference TEXT, ratio REAL, ratio_lo REAL, ratio_hi REAL, started_at REAL,
    record TEXT NOT NULL,
    PRIMARY KEY (session, label)
);
"""


def db_path(value: str | os.PathLike | None = None, results_dir: str | os.PathLike | None = None) -> Path:
    """``--db``, else ``results_dir/history.sqlite`` (a ``--results-dir`` given on the command
    line), else ``$BENCH_HISTORY``, else ``history.sqlite`` in ``$BENCH_RESULTS_DIR`` or
    ``results/runs``: the more explicit wins, the command line over the environment."""
    if value:
        return Path(value).expanduser()
    if results_dir:
        return Path(results_dir).expanduser() / "history.sqlite"
    if os.environ.get("BENCH_HISTORY"):
        return Path(os.environ["BENCH_HISTORY"]).expanduser()
    if os.environ.get("BENCH_RESULTS_DIR"):
        return Path(os.environ["BENCH_RESULTS_DIR"]).expanduser() / "history.sqlite"
    return Path(DEFAULT_DB)


def new_session(prefix: str = "run") -> str:
    return f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


def versions_key(card: ConfigCard) -> str:
    """Library versions as one comparable string: ``keras=3.15.0;numpy=...;tensorflow=...``."""
    return ";".join(f"{k}={card.versions[k]}" for k in sorted(card.versions))


def _num(v):
    if isinstance(v, bool) or v is None:
        return None if v is None else int(v)
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def locked(exc: BaseException) -> bool:
    """An sqlite3 error that says another connection holds the database locked."""
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11 on
    return code in (getattr(sqlite3, "SQLITE_BUSY", 5), getattr(sqlite3, "SQLITE_LOCKED", 6)) or "locked" in str(exc)


class History:
    """A results database. Opening a path that does not exist creates it only when writing.
    Every connection waits up to ``timeout_s`` (default :data:`LOCK_TIMEOUT_S`) for a database
    another process holds locked; one held longer is a BenchError saying so."""

    def __init__(self, path: str | os.PathLike | None = None, create: bool = True, timeout_s: float | None = None):
        self.path = db_path(path)
        if self.path.is_dir():
            raise BenchError(
                f"history database {self.path} is a directory; --db takes a file (e.g. {self.path / 'history.sqlite'})"
            )
        if not self.path.exists() and not create:
            raise BenchError(
                f"no history database at {self.path}; record results with 'bench run' "
                f"or 'bench history import results/runs'"
            )
        self.timeout_s = LOCK_TIMEOUT_S if timeout_s is None else float(timeout_s)
        self.conn = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # IMMEDIATE: a write takes the database's write lock when its transaction begins, so
            # that it waits for another writer (the busy timeout) instead of failing at once when
            # two writers would deadlock
            self.conn = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level="IMMEDIATE")
            self._open()
        except (sqlite3.DatabaseError, OSError) as exc:
            if self.conn is not None:
                self.conn.close()
            if isinstance(exc, sqlite3.OperationalError) and locked(exc):
                raise BenchError(self.locked_message()) from None
            raise BenchError(f"cannot open history database {self.path}: {exc}") from None

    def _open(self) -> None:
        """The schema, waiting up to :attr:`timeout_s` for a database another process holds
        locked, and saying once that it waits."""
        self._busy_timeout(min(self.timeout_s, 0.5))
        start = time.monotonic()
        try:
            self.conn.executescript(SCHEMA)
            return
        except sqlite3.OperationalError as exc:
            left = self.timeout_s - (time.monotonic() - start)
            if not locked(exc) or left <= 0:
                raise
        finally:
            self._busy_timeout(self.timeout_s)
        print(
            f"bench: history database {self.path} is locked by another process; waiting for it "
            f"(up to {self.timeout_s:g} s)",
            file=sys.stderr,
            flush=True,
        )
        self._busy_timeout(left)
        try:
            self.conn.executescript(SCHEMA)
        finally:
            self._busy_timeout(self.timeout_s)

    def _busy_timeout(self, seconds: float) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {max(0, int(seconds * 1000))}")

    def locked_message(self) -> str:
        where = " (bench.reporting.history.LOCK_TIMEOUT_S)" if self.timeout_s == LOCK_TIMEOUT_S else ""
        return (
            f"history database {self.path} is locked by another process: waited {self.timeout_s:g} s{where}; "
            "try again when it is free, or record elsewhere (--db FILE) or not at all (--no-history)"
        )

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # writing ---------------------------------------------------------------------------------
    def add(
        self, results: list[Result], session: str | None = None, source: str = SOURCE_RUN, origin: str | None = None
    ) -> tuple[int, int]:
        """Insert results; a run_id already stored is left as it is. -> (added, already there)."""
        session = session or new_session("import")
        added = 0
        now = time.time()
        with self.conn:
            for r in results:
                card, tp = r.card, r.throughput
                row = {
                    "run_id": r.run_id,
                    "session": session,
                    "source": source,
                    "algo": r.algo,
                    "backend": r.backend,
                    "device": r.device,
                    "seed": r.seed,
                    "budget": r.budget,
                    "commit_sha": card.commit,
                    "dirty": _num(card.dirty),
                    "fingerprint": card.machine.fingerprint if card.machine else None,
                    "versions": versions_key(card),
                    "status": r.status,
                    "metric": r.metric,
                    "value": _num(r.value),
                    "higher_is_better": _higher_is_better(r.algo),
                    "unit": tp.unit,
                    "tp_median": _num(tp.median),
                    "tp_p25": _num(tp.p25),
                    "tp_p75": _num(tp.p75),
                    "tp_n": _num(tp.n),
                    "compile_s": _num(r.compile_s),
                    "time_to_target_s": _num(r.time_to_target_s),
                    "target_reached": int(bool(r.target_reached)),
                    "dataset": r.dataset,
                    "started_at": _num(r.started_at),
                    "imported_at": now,
                    "origin": origin,
                    "record": json.dumps(r.to_dict()),
                }
                cur = self.conn.execute(
                    f"INSERT OR IGNORE INTO results ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                    [row[c] for c in COLUMNS],
                )
                added += cur.rowcount
        return added, len(results) - added

    def import_paths(self, paths, session: str | None = None) -> tuple[int, int, str]:
        """Import result JSON files, directories of them, and pytest-benchmark JSON files.
        Everything is read and checked first; nothing is written if any file is bad."""
        batches = [(load_any(Path(p)), str(p)) for p in paths]
        session = session or new_session("import")
        added = kept = 0
        for (results, source), origin in batches:
            a, k = self.add(results, session, source, origin)
            added, kept = added + a, kept + k
        return added, kept, session

    # reading ---------------------------------------------------------------------------------
    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    def _rows(self, where: str = "", params=()) -> list[Result]:
        rows = self.conn.execute(f"SELECT record FROM results {where} ORDER BY started_at, run_id", params).fetchall()
        return [Result.from_dict(json.loads(record)) for (record,) in rows]

    def results(self, **filters) -> list[Result]:
        where, params = _where(filters)
        return self._rows(where, params)

    def select(self, selector: str) -> tuple[list[Result], str]:
        """Results named by a session, a run id (or its unique prefix) or a git commit (prefix).
        -> (results, what matched)."""
        if self.count() == 0:
            raise BenchError(
                f"history database {self.path} is empty; record results with 'bench run' "
                f"or 'bench history import results/runs'"
            )
        sel = selector.strip()
        if sel == "latest":
            row = self.conn.execute(
                "SELECT session FROM results ORDER BY imported_at DESC, started_at DESC LIMIT 1"
            ).fetchone()
            return self._rows("WHERE session = ?", (row[0],)), f"session {row[0]}"
        found = self._rows("WHERE session = ?", (sel,))
        if found:
            return found, f"session {sel}"
        found = self._rows("WHERE run_id = ?", (sel,))
        if found:
            return found, f"run {sel}"
        ids = [r[0] for r in self.conn.execute("SELECT run_id FROM results WHERE run_id LIKE ?", (sel + "%",))]
        if len(ids) == 1:
            return self._rows("WHERE run_id = ?", (ids[0],)), f"run {ids[0]}"
        if len(ids) > 1:
            raise BenchError(f"'{sel}' matches {len(ids)} run ids; give more of it")
        if len(sel) >= 4 and all(c in "0123456789abcdefABCDEF" for c in sel):
            shas = [
                r[0]
                for r in self.conn.execute(
                    "SELECT DISTINCT commit_sha FROM results WHERE commit_sha LIKE ?", (sel.lower() + "%",)
                )
            ]
            if len(shas) > 1:
                raise BenchError(f"commit '{sel}' is ambiguous: {', '.join(s[:12] for s in shas)}")
            if shas:
                return self._rows("WHERE commit_sha = ?", (shas[0],)), f"commit {shas[0][:12]}"
        raise BenchError(
            f"unknown commit, session or run id '{sel}' in {self.path} "
            f"({self.count()} results stored; see 'bench history list')"
        )

    def add_speed(self, record: dict) -> int:
        """Store a ``bench speed`` record, a row per configuration (a session stored before is
        replaced). -> rows stored."""
        from bench.reporting.speed_stats import summarise

        summary = summarise(record, record.get("reference"), record.get("seed", 0))
        rows = []
        for c in record.get("configs", []):
            s = summary.get("configs", {}).get(c["label"], {})
            sps, ratio, card = s.get("samples_per_s") or {}, s.get("ratio") or {}, c.get("card") or {}
            versions, machine = c.get("versions") or {}, card.get("machine") or {}
            rows.append(
                (
                    record["session"], c["label"], c.get("algo"), c.get("backend"), c.get("device"), c.get("mode"),
                    c.get("precision"), c.get("env"), card.get("commit"), machine.get("fingerprint"),
                    ";".join(f"{k}={versions[k]}" for k in sorted(versions)), c.get("status"),
                    _num(sps.get("median")), _num(sps.get("p25")), _num(sps.get("p75")), sps.get("n"),
                    _num((s.get("overhead") or {}).get("median")), _num(c.get("mfu")), s.get("reference"),
                    _num(ratio.get("median")), _num(ratio.get("lo")), _num(ratio.get("hi")),
                    _num(record.get("started_at")), json.dumps(c, default=str),
                )
            )  # fmt: skip
        with self.conn:
            self.conn.execute("DELETE FROM speed WHERE session = ?", (record["session"],))
            self.conn.executemany(f"INSERT INTO speed VALUES ({', '.join('?' * 24)})", rows)
        return len(rows)

    def speed(self, session: str | None = None):
        """The stored ``bench speed`` rows (one session, or all) as a DataFrame."""
        import pandas as pd

        where, params = ("WHERE session = ?", [session]) if session else ("", [])
        return pd.read_sql_query(
            f"SELECT * FROM speed {where} ORDER BY started_at, rowid", self.conn, params=params
        ).drop(columns=["record"])

    def sessions(self):
        import pandas as pd

        return pd.read_sql_query(
            "SELECT session, source, MIN(started_at) AS started_at, COUNT(*) AS results, "
            "GROUP_CONCAT(DISTINCT algo) AS algos, GROUP_CONCAT(DISTINCT backend) AS backends, "
            "GROUP_CONCAT(DISTINCT substr(commit_sha, 1, 10)) AS commits, "
            "GROUP_CONCAT(DISTINCT fingerprint) AS machines "
            "FROM results GROUP BY session, source ORDER BY started_at",
            self.conn,
        )

    def to_frame(self, **filters):
        """The flat columns (everything except the JSON record) as a pandas DataFrame."""
        import pandas as pd

        where, params = _where(filters)
        cols = [c for c in COLUMNS if c != "record"]
        return pd.read_sql_query(
            f"SELECT {', '.join(cols)} FROM results {where} ORDER BY started_at", self.conn, params=params
        )


def _where(filters: dict) -> tuple[str, list]:
    allowed = set(COLUMNS) - {"record"}
    bad = [k for k in filters if k not in allowed]
    if bad:
        raise BenchError(f"unknown history column(s) {', '.join(bad)}; choose from: {', '.join(sorted(allowed))}")
    items = [(k, v) for k, v in filters.items() if v is not None]
    if not items:
        return "", []
    return "WHERE " + " AND ".join(f"{k} = ?" for k, _ in items), [v for _, v in items]


def _higher_is_better(algo: str):
    try:
        return int(bool(specs.get(algo).higher_is_better))
    except Exception:  # an algorithm this checkout does not know
        return None


# loading files ----------------------------------------------------------------------------------
def source_of(result: Result) -> str:
    """bench-run or pytest-benchmark: their throughputs measure different things."""
    return result.card.source or SOURCE_RUN


def load_any(path: Path) -> tuple[list[Result], str]:
    """Results from a result JSON, a directory of them, or a pytest-benchmark JSON file.
    -> (results, source). Raises BenchError naming the file on anything unreadable."""
    if not path.exists():
        raise BenchError(f"no such file or directory: {path}")
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise BenchError(f"no result files (*.json) in {path}")
        out, sources = [], set()
        for f in files:
            got, source = load_any(f)
            out += got
            sources.add(source)
        return out, (sources.pop() if len(sources) == 1 else SOURCE_RUN)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BenchError(f"cannot read result file {path}: {exc}") from None
    if isinstance(data, dict) and "benchmarks" in data and "machine_info" in data:
        return from_pytest_benchmark(data, path), SOURCE_PYTEST
    return [res.from_data(data, path)], SOURCE_RUN


def from_pytest_benchmark(data: dict, path) -> list[Result]:
    """pytest-benchmark JSON -> Results: one per benchmark, throughput in samples/s per round
    (``batch_size / time per call``), quality and config card from ``extra_info``."""
    commit = data.get("commit_info") or {}
    stamp = str(data.get("datetime") or "")
    out = []
    for b in data.get("benchmarks") or []:
        info = b.get("extra_info") or {}
        stats = b.get("stats") or {}
        if not info.get("algo") or not info.get("backend"):
            raise BenchError(
                f"cannot read pytest-benchmark file {path}: benchmark '{b.get('name')}' has no "
                f"algo/backend in extra_info (was it made by tests/benchmarks?)"
            )
        bs = float(info.get("batch_size") or 1)

        def rate(t, bs=bs):
            t = _num(t)
            return bs / t if t else None

        data_points = [rate(t) for t in stats.get("data") or []]
        card = ConfigCard.from_dict(info.get("card"))
        if card.commit is None:
            card.commit = commit.get("id")
        if card.dirty is None:
            card.dirty = commit.get("dirty")
        card.source = SOURCE_PYTEST
        metric = info.get("metric")
        r = Result(
            algo=info["algo"],
            backend=info["backend"],
            device=info.get("device") or "cpu",
            seed=0,
            # an RL benchmark of a step alone trained nothing: its budget is null in the file
            budget=info.get("quality_budget") or "quick",
            metric=metric,
            metrics={metric: info.get("value")} if metric else {},
            dataset=info.get("dataset"),
            card=card,
            throughput=Throughput(
                unit="samples/s",
                median=rate(stats.get("median")),
                p25=rate(stats.get("q3")),
                p75=rate(stats.get("q1")),
                min=rate(stats.get("max")),
                max=rate(stats.get("min")),
                n=stats.get("rounds"),
                values=[v for v in data_points if v is not None],
            ),
            run_id="pb-" + hashlib.sha256(f"{stamp}|{b.get('fullname')}|{path}".encode()).hexdigest()[:16],
        )
        out.append(r)
    if not out:
        raise BenchError(f"pytest-benchmark file {path} holds no benchmarks")
    return out


def record_session(results: list[Result], origin: str | None = None, path=None) -> str | None:
    """Store one ``bench run``'s results under a new session; returns its name."""
    session = new_session("run")
    with History(path) as h:
        h.add(results, session, SOURCE_RUN, origin)
    return session


class HistoryWriter:
    """One ``bench run`` recorded as it goes: each Result is added to the history as soon as its
    cell ends, so an interrupted or failed run keeps what finished. A history that stops taking
    writes is said once (:attr:`problem`); the result files stay the record."""

    def __init__(self, path, origin: str | None = None):
        self.history = History(path)
        self.path, self.origin, self.session = self.history.path, origin, new_session("run")
        self.added, self.problem = 0, None

    def add(self, result: Result) -> bool:
        if self.problem is not None:
            return False
        try:
            self.added += self.history.add([result], self.session, SOURCE_RUN, self.origin)[0]
            return True
        except (sqlite3.Error, OSError) as exc:
            self.problem = (
                f"locked by another process for over {self.history.timeout_s:g} s"
                if isinstance(exc, sqlite3.OperationalError) and locked(exc)
                else f"{type(exc).__name__}: {exc}"
            )
            return False

    def close(self) -> None:
        self.history.close()
