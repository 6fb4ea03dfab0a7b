"""Runs parity-protocol outcomes in a process of their own: ``python tests/case_worker.py OUT
CASES_JSON``, with ``KERAS_BACKEND=ENGINE`` for Keras on another engine (Keras has one engine per
process). CASES_JSON is a list of [algorithm, backend label, protocol name (with its mode and
precision where not the default: protocols.worker_case) or "smoke"]; OUT gets a pickle of
{(algorithm, backend label, case): Outcome or the error's text}. tests/protocols.py starts it:
one worker per Keras engine, and one for the costly cases the session runs in the background."""

from __future__ import annotations

import json
import os
import pickle
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from protocols import FIRST_STEPS, PROTOCOLS, outcome, parse_worker_case, protocol_outcome  # noqa: E402

from bench.core import backends  # noqa: E402
from bench.core.backends import parse_label  # noqa: E402


def main(out: str, cases: str) -> int:
    engine = os.environ.get("KERAS_BACKEND", backends.DEFAULT_ENGINE)
    cases = [tuple(c) for c in json.loads(cases)]
    if any(parse_label(label)[1] for _, label, _ in cases):  # Keras on another engine: as its cells run
        backends.setup("keras", "cpu", 0, 1, engine=engine)
    by_name = {p.name: p for p in PROTOCOLS}
    done = {}
    for algo, label, name in cases:
        backend = parse_label(label)[0]
        t0 = time.perf_counter()
        if "torch._dynamo" in sys.modules:  # each case compiles afresh, as a cell's process does
            sys.modules["torch._dynamo"].reset()
        try:
            if name == "smoke":
                done[(algo, label, name)] = outcome(algo, backend, {}, FIRST_STEPS.steps)
            else:
                protocol, mode, precision = parse_worker_case(name)
                done[(algo, label, name)] = protocol_outcome(algo, backend, by_name[protocol], mode, precision)
        except Exception:  # the case's own test reports it
            done[(algo, label, name)] = f"{label} {algo} {name}: {traceback.format_exc(limit=-4)}"
        print(f"{label} {algo} {name}: {time.perf_counter() - t0:.1f} s", flush=True)
    Path(out).write_bytes(pickle.dumps(done))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
