"""Entry point of one cell's subprocess: ``python -m bench.cell CELL_JSON OUT_JSON``.

Runs the cell and writes its Result atomically to OUT_JSON. A crash, a kill or a timeout leaves
no file; the parent (bench.matrix) then records the failure itself.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.results import atomic_write
from bench.runner import Cell, run_cell


def main(argv=None) -> int:
    cell_json, out = (argv or sys.argv[1:])[:2]
    result = run_cell(Cell(**json.loads(cell_json)))
    atomic_write(Path(out), json.dumps(result.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
