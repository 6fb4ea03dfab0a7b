"""The suite's offline .npz copies of image datasets (CIFAR-10, Cats vs Dogs): finding one, else
the dataset's original download; reading and checking the arrays; one-line errors that name the
file, what it should hold and where to get it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from bench.core.data.files import RemoteFile, locate
from bench.core.errors import BenchError


@dataclass(frozen=True)
class Layout:
    """What a dataset's arrays hold, for the checks and the messages."""

    title: str  # the dataset, in messages ("CIFAR-10")
    shapes: dict  # key -> (shape after the first axis, dtype); images x_<split>, labels y_<split>
    max_label: int
    bad_labels: str  # how a label above max_label is reported ("labels above 9")
    eval_split: str  # what the second split is called in messages ("test")
    expected: str  # the arrays, in messages
    how: str  # where to put which file, in messages

    def validate(self, arrays: dict, path: Path) -> dict:
        """Keys, shapes, dtypes and label range; anything else is a BenchError naming the file."""
        problems = []
        for key, (tail, dtype) in self.shapes.items():
            a = arrays.get(key)
            if a is None:
                problems.append(f"missing key '{key}'")
            elif a.ndim != len(tail) + 1 or a.shape[1:] != tail or a.dtype != dtype:
                problems.append(f"'{key}' is {a.shape} {a.dtype}")
        if not problems:
            for x, y in ((k, "y" + k[1:]) for k in self.shapes if k.startswith("x_")):
                if len(arrays[x]) != len(arrays[y]):
                    problems.append(f"{x} has {len(arrays[x])} images but {y} {len(arrays[y])} labels")
                elif arrays[y].size and arrays[y].max() > self.max_label:
                    problems.append(f"{y} has {self.bad_labels}")
        if problems:
            raise BenchError(
                f"{path} is not a valid {self.title} file ({'; '.join(problems)}); expected {self.expected}; {self.how}"
            )
        return arrays

    def unreadable(self, path: Path, exc: Exception, expected: str) -> BenchError:
        return BenchError(f"{path} could not be read ({type(exc).__name__}: {exc}); expected {expected}; {self.how}")

    def read_npz(self, path: Path) -> dict:
        try:
            with np.load(path, allow_pickle=False) as d:
                arrays = {k: d[k] for k in d.files if k in self.shapes}
        except Exception as exc:  # truncated zip, bad header, not a zip at all, ...
            raise self.unreadable(path, exc, f"a .npz with {self.expected}") from None
        return self.validate(arrays, path)

    def sizes(self, arrays: dict, source: str, n_train: int, n_eval: int) -> tuple[int, int]:
        """``n_train`` / ``n_eval`` with 0 meaning all; more than the arrays hold is a BenchError."""
        x_train, x_eval = (arrays[k] for k in self.shapes if k.startswith("x_"))
        n_train, n_eval = n_train or len(x_train), n_eval or len(x_eval)
        if n_train > len(x_train) or n_eval > len(x_eval):
            raise BenchError(
                f"{source} has {len(x_train)} train / {len(x_eval)} {self.eval_split} "
                f"images; asked for {n_train} / {n_eval}"
            )
        return n_train, n_eval


def load_arrays(
    layout: Layout,
    subset: RemoteFile,
    original: RemoteFile,
    read_original: Callable[[Path], dict],
    download: bool | None = None,
) -> tuple[dict, str]:
    """The arrays and the name of the file they came from: the offline copy ``subset`` when it is
    found (never downloaded), else ``original`` (found or downloaded) read by ``read_original``."""
    try:
        path = locate(subset, download=False)
    except BenchError:
        path = None
    if path is not None:  # a corrupt or truncated copy is an error, not a reason to download
        return layout.read_npz(path), path.name
    try:
        path = locate(original, download=download)
    except BenchError as exc:
        raise BenchError(
            f"{layout.title} not found: neither {subset.filename} nor {original.filename} is "
            f"in the data directory or a cache ({exc}); {layout.how}"
        ) from None
    return read_original(path), path.name
