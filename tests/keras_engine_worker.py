"""Runs the Keras learners' parity-protocol outcomes on one Keras engine, in its own process
(Keras has one engine per process): ``KERAS_BACKEND=ENGINE python tests/keras_engine_worker.py
OUT CASES_JSON``. CASES_JSON is a list of [algorithm, protocol name (with its mode and precision
where not the default: protocols.engine_case) or "smoke"]; OUT gets a pickle
of {(algorithm, protocol): Outcome or the error's text}. tests/test_generated.py starts it."""

from __future__ import annotations

import json
import os
import pickle
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from protocols import FIRST_STEPS, PROTOCOLS, outcome, parse_engine_case, protocol_outcome  # noqa: E402

from bench import backends  # noqa: E402


def main(out: str, cases: str) -> int:
    engine = os.environ.get("KERAS_BACKEND", backends.DEFAULT_ENGINE)
    backends.setup("keras", "cpu", 0, 1, engine=engine)
    by_name = {p.name: p for p in PROTOCOLS}
    done = {}
    for algo, name in json.loads(cases):
        t0 = time.perf_counter()
        if "torch._dynamo" in sys.modules:  # each case compiles afresh, as a cell's process does
            sys.modules["torch._dynamo"].reset()
        try:
            if name == "smoke":
                done[(algo, name)] = outcome(algo, "keras", {}, FIRST_STEPS.steps)
            else:
                protocol, mode, precision = parse_engine_case(name)
                done[(algo, name)] = protocol_outcome(algo, "keras", by_name[protocol], mode, precision)
        except Exception:  # the case's own test reports it
            done[(algo, name)] = f"keras[{engine}] {algo} {name}: {traceback.format_exc(limit=-4)}"
        print(f"keras[{engine}] {algo} {name}: {time.perf_counter() - t0:.1f} s", flush=True)
    Path(out).write_bytes(pickle.dumps(done))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
