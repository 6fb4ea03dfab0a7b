"""The report's document rendered: one self-contained HTML page from the Jinja2 template
``bench/templates/report.html.j2`` (package data; plots embedded as PNG data URIs), and the
Markdown file, built here."""

from __future__ import annotations

import base64
import json
from functools import lru_cache

from bench.reporting.report_modes import MODES_COLUMNS, modes_cells
from bench.reporting.report_tables import COLUMNS, cell_cells, fmt, summary_rows

SIDE_BY_SIDE_NOTE = (
    "One persistent worker per configuration, compile and warm-up excluded, timed rounds in a freshly "
    "shuffled order every round. Ratio: the median of the per-round speed ratios against the reference, with "
    "a 95% bootstrap interval over the rounds. Overhead: the harness's share of the timed loop. MFU: the "
    "training FLOPs per second (the spec's layer list) over the machine's measured matmul peak."
)


PLOTS = (("curves", "learning curves"), ("speed", "throughput and speedup"))
VERDICT_NOTE = (
    "Quality: every backend against the tour's target, reached at the first evaluation that passes it. "
    "Parity: the first-steps protocol, every backend built from the same canonical initial weights and held "
    "against the reference under the spec's own tolerances. Speed: the train steps side by side, in interleaved "
    "rounds, the median of the per-round ratios with a 95% bootstrap interval."
)
PARITY_NOTE = (
    "The backends start from the same weights (drawn once in numpy), see the same batches in the same order and "
    "compute the same formulas, so where they agree their learning curves lie on top of each other: one line "
    "shows where three are drawn."
)


def _status_class(text: str) -> str:
    return "bad" if text.startswith("FAILED") else ("ok" if text.startswith("passed") else "")


@lru_cache(maxsize=1)
def _template():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bench", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["status_class"] = _status_class
    return env.get_template("report.html.j2")


def render_html(doc) -> str:
    """The report as one self-contained HTML page (plots embedded as PNG data URIs)."""
    ref = doc["reference"]
    sections = [
        {
            **s,
            "modes_table": [[c.replace("**", "") for c in modes_cells(r)] for r in s.get("modes", [])],
            "modes_best": [r["best"] for r in s.get("modes", [])],
            "table": [
                {
                    "cells": cell_cells(r, ref),
                    "status": r["status"][:500],
                    "card": json.dumps(r["cards"], indent=1, sort_keys=True, default=str),
                }
                for r in s["rows"]
            ],
            "plots": [
                {"alt": f"{s['algo']} {alt}", "data": base64.b64encode(s["figs"][name]).decode()}
                for name, alt in PLOTS
                if name in s["figs"]
            ],
        }
        for s in doc["sections"]
    ]
    side = [
        {**t, "plot": base64.b64encode(t["png"]).decode() if t.get("png") else None}
        for t in doc.get("side_by_side") or []
    ]
    return _template().render(
        doc=doc,
        verdict=doc.get("verdict") or [],
        verdict_note=VERDICT_NOTE,
        parity_note=PARITY_NOTE,
        side_by_side=side,
        side_by_side_note=SIDE_BY_SIDE_NOTE,
        summary=summary_rows(doc),
        sections=sections,
        columns=COLUMNS,
        modes_columns=MODES_COLUMNS,
        parity_column=COLUMNS.index("parity"),
        fmt=fmt,
    )


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(keys, rows) -> list:
    out = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    out += ["| " + " | ".join(_md_escape(v) for v in row) + " |" for row in rows]
    return out


def render_markdown(doc, image_dir: str) -> str:
    ref = doc["reference"]
    out = [
        "# Benchmark report: TensorFlow, PyTorch and Keras on the same algorithms",
        "",
        f"Generated {doc['generated']} from {doc['n_results']} results. Machines: "
        f"{'; '.join(doc['machines']) or '?'}. Commits: {', '.join(doc['commits']) or '?'}. "
        f"Speedups are relative to **{ref}** on the same device.",
        "",
    ]
    if doc.get("verdict"):
        out += ["## Verdict", "", VERDICT_NOTE, ""]
        out += _md_table(
            ["algorithm", "quality (the tour's target)", "parity", "speed (side by side)"],
            [[v["algo"], f"{v['quality']}; {v['target']}", v["parity"], v["speed"]] for v in doc["verdict"]],
        )
        out += ["", "## Parity: the same computation", "", PARITY_NOTE, ""]
    out += [
        "## Summary",
        "",
        "Each backend cell: quality (median over seeds) · throughput (median over timed rounds) "
        "(speedup relative to the reference).",
        "",
    ]
    rows = summary_rows(doc)
    if rows:
        out += _md_table(list(rows[0]), [list(r.values()) for r in rows])
    if doc.get("side_by_side"):
        out += ["", "## Side-by-side speed (bench speed)", "", SIDE_BY_SIDE_NOTE]
        for t in doc["side_by_side"]:
            out += ["", t["meta"], ""]
            out += _md_table(list(t["rows"][0]), [list(r.values()) for r in t["rows"]])
    for s in doc["sections"]:
        out += [
            "",
            f"## {s['algo']}: {s['title']}",
            "",
            f"Metric **{s['metric']}** ({s['direction']}); target {fmt(s['target'])}; budget "
            f"{', '.join(s['budgets'])}; dataset used: {', '.join(s['datasets']) or 'unknown'}.",
            "",
        ]
        if s.get("tour_target"):
            out += [
                f"**The tour's target**: {s['tour_target']} (the table's target is the spec's own, for its full "
                "budget).",
                "",
            ]
        out += _md_table(COLUMNS[:-1], [cell_cells(r, ref) for r in s["rows"]])
        if s.get("modes"):
            out += [
                "",
                "Execution modes and precisions (the best configuration of each backend in bold: the fastest "
                "whose quality is within the spec's accuracy tolerance of the backend's best):",
                "",
            ]
            out += _md_table(MODES_COLUMNS, [modes_cells(r) for r in s["modes"]])
            if s["best_vs_best"]:
                out += ["", f"**{s['best_vs_best']}**"]
        if s.get("measurements"):
            out += ["", "Measurements (bench.train.measurements):", ""]
            out += _md_table(list(s["measurements"][0]), [list(m.values()) for m in s["measurements"]])
        for r in s["rows"]:
            if r["status"]:
                out.append(f"\n{r['backend']}/{r['device']}: {r['status'][:300]}")
        for name, alt in PLOTS:
            if name in s["figs"]:
                out += ["", f"![{s['algo']} {alt}]({image_dir}/{s['algo']}_{name}.png)"]
        cards = [c for r in s["rows"] for c in r["cards"][:1]]
        if cards:
            out += [
                "",
                "<details><summary>config card (first seed of each backend)</summary>",
                "",
                "```json",
                json.dumps(cards, indent=1, sort_keys=True, default=str),
                "```",
                "",
                "</details>",
            ]
    out.append("")
    return "\n".join(out)
