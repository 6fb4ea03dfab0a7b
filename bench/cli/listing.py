"""``bench list``: algorithms x backends x devices available here, and the (mode, precision)
combinations each backend runs each algorithm in."""

from __future__ import annotations

from bench import specs
from bench.cli.common import command
from bench.core import backends, modes
from bench.core.errors import BenchError
from bench.specs import registry

DESCRIPTION = (
    "Algorithms x backends x devices available here, and the (mode, precision) combinations each "
    "backend runs each algorithm in (the backend's default mode first; '(gpu)': a mode that needs a GPU)."
)


def register(sub) -> None:
    command(
        sub,
        "list",
        cmd_list,
        "algorithms x backends x devices, and the modes x precisions of each, available here",
        DESCRIPTION,
    )


def cmd_list(args) -> int:
    import pandas as pd

    devices = backends.available_devices()
    rows = []
    for name, spec in specs.all_specs().items():
        row = {"algorithm": name, "kind": spec.kind}
        for b in backends.BACKENDS + backends.REFERENCE_BACKENDS:
            for engine in backends.KERAS_ENGINES if b == "keras" else (None,):
                column = backends.label(b, engine)
                if not registry.has_impl(name, b):
                    row[column] = "-"
                elif engine is not None:
                    row[column] = "yes" if _engine_ready(engine) else "not installed"
                else:
                    row[column] = "yes" if backends.framework_installed(b) else "not installed"
        row["devices"] = ",".join(devices)
        for b in backends.BACKENDS:  # (mode x precision) each backend, Keras on each engine, runs it in
            have = registry.has_impl(name, b)
            for engine in backends.KERAS_ENGINES if b == "keras" else (None,):
                column = backends.label(b, engine)
                row[f"{column} modes x precisions"] = modes.table(spec.module, column, devices[-1]) if have else "-"
        row["title"] = spec.title
        rows.append(row)
    print(pd.DataFrame(rows).to_string(index=False))
    return 0


def _engine_ready(engine: str) -> bool:
    try:
        backends.check_engine(engine)
        return True
    except BenchError:
        return False
