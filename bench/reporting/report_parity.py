"""The report's parity column: the parity tests' JUnit XML (``pytest -k parity
--junitxml=results/parity.xml``) read into pass/fail/skip counts per algorithm and backend, and a
cell's status from them; without a file every cell reads "not run"."""

from __future__ import annotations

import re
from pathlib import Path

from bench.core.errors import BenchError

NOT_RUN = "not run"


def read_parity(path: Path | None, algos, backends) -> dict:
    """{(algo, backend or '*'): [passed, failed, skipped]} from a JUnit XML of the parity tests."""
    if path is None:
        return {}
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise BenchError(f"cannot read parity results {path}: {exc}") from None
    counts: dict = {}
    names = sorted(algos, key=len, reverse=True)
    for case in root.iter("testcase"):
        cls, name = case.get("classname", ""), case.get("name", "")
        if "parity" not in (cls + " " + name).lower():
            continue
        text = name.lower()
        algo = next((a for a in names if re.search(rf"(?<![a-z0-9]){re.escape(a)}(?![a-z0-9])", text)), None)
        if algo is None:
            continue
        params = text[text.find("[") :] if "[" in text else ""
        backend = next(  # the longest name first: keras[jax] before keras
            (
                b
                for b in sorted(backends, key=len, reverse=True)
                if re.search(rf"(?<![a-z0-9]){re.escape(b)}(?![a-z0-9\[])", params)
            ),
            "*",
        )
        if case.find("failure") is not None or case.find("error") is not None:
            idx = 1
        elif case.find("skipped") is not None:
            idx = 2
        else:
            idx = 0
        counts.setdefault((algo, backend), [0, 0, 0])[idx] += 1
    return counts


def parity_status(counts: dict, algo: str, backend: str) -> str:
    got = [0, 0, 0]
    for key in ((algo, backend), (algo, "*")):
        for i, n in enumerate(counts.get(key, (0, 0, 0))):
            got[i] += n
    passed, failed, skipped = got
    if failed:
        return f"FAILED ({failed} of {passed + failed})"
    if passed:
        return f"passed ({passed})"
    if skipped:
        return "skipped"
    return NOT_RUN


def tour_parity(tour: dict | None) -> dict:
    """The quick tour's first-steps protocol as parity counts: each backend held against the
    reference passed or failed once; the reference passes with the others (nothing to hold it to
    but them)."""
    counts: dict = {}
    rows = ((tour or {}).get("parity") or {}).get("rows") or []
    for r in rows:
        counts.setdefault((r["algo"], r["backend"]), [0, 0, 0])[0 if r["ok"] else 1] += 1
    for algo in {r["algo"] for r in rows}:
        mine = [r for r in rows if r["algo"] == algo]
        counts.setdefault((algo, mine[0]["reference"]), [0, 0, 0])[0 if all(r["ok"] for r in mine) else 1] += 1
    return counts


def merged(*parts: dict) -> dict:
    """Parity counts of several sources, added up."""
    out: dict = {}
    for part in parts:
        for key, got in part.items():
            have = out.setdefault(key, [0, 0, 0])
            for i, n in enumerate(got):
                have[i] += n
    return out
