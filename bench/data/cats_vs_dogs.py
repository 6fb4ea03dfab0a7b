"""Cats vs Dogs at 100x100 as numpy arrays, preprocessed once for every backend.

Sources, in order: ``cats_vs_dogs_subset.npz`` (2000 train / 1000 validation photos of the
Kaggle set, already resized to 100x100, classes interleaved cat, dog, ...) in the data directory
or a cache; else TensorFlow's ``cats_and_dogs_filtered.zip`` (data directory, Keras cache or a
download when online), whose JPEGs are decoded and resized to 100x100 (bilinear, aspect ratio not
kept) and interleaved the same way. Preprocessing (seed 000, "An introduction to Global Average
Pooling"): scale to [0, 1]. Labels: 0 cat, 1 dog, as float32 for the binary cross-entropy.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from bench.data.base import SupervisedData
from bench.data.files import RemoteFile, locate
from bench.errors import BenchError

SIZE = 100
SUBSET = RemoteFile(
    filename="cats_vs_dogs_subset.npz",
    description="Cats vs Dogs subset",
    size=75_449_829,
    sha256="f7e0cad46ba32facc3256884d44bf653a30fea83fcf4f044d875ec675238c8b1",
)
FILTERED = RemoteFile(
    filename="cats_and_dogs_filtered.zip",
    description="Cats vs Dogs (TensorFlow's filtered subset)",
    url="https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip",
    cache_names=("cats_and_dogs.zip",),  # the name TensorFlow's tutorial caches it under
)
KEYS = {"x_train": 4, "y_train": 1, "x_val": 4, "y_val": 1}
EXPECTED = (f"x_train (N, {SIZE}, {SIZE}, 3) uint8, y_train (N,) uint8 in {{0, 1}}, "
            f"x_val (M, {SIZE}, {SIZE}, 3) uint8, y_val (M,) uint8")
HOW = (f"put {SUBSET.filename} (the suite's offline copy, {SUBSET.size:,} bytes, sha256 "
       f"{SUBSET.sha256}) or {FILTERED.filename} (from {FILTERED.url}) in the data "
       "directory (set BENCH_DATA_DIR)")


def validate(arrays: dict, path: Path) -> dict:
    problems = []
    for key, ndim in KEYS.items():
        a = arrays.get(key)
        if a is None:
            problems.append(f"missing key '{key}'")
        elif a.ndim != ndim or a.dtype != np.uint8 or (ndim == 4 and a.shape[1:] != (SIZE, SIZE, 3)):
            problems.append(f"'{key}' is {a.shape} {a.dtype}")
    if not problems:
        for x, y in (("x_train", "y_train"), ("x_val", "y_val")):
            if len(arrays[x]) != len(arrays[y]):
                problems.append(f"{x} has {len(arrays[x])} images but {y} {len(arrays[y])} labels")
            elif arrays[y].size and arrays[y].max() > 1:
                problems.append(f"{y} has labels other than 0 and 1")
    if problems:
        raise BenchError(f"{path} is not a valid Cats vs Dogs file ({'; '.join(problems)}); "
                         f"expected {EXPECTED}; {HOW}")
    return arrays


def read_npz(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as d:
            arrays = {k: d[k] for k in d.files if k in KEYS}
    except Exception as exc:  # truncated zip, bad header, not a zip at all, ...
        raise BenchError(f"{path} could not be read ({type(exc).__name__}: {exc}); expected a .npz "
                         f"with {EXPECTED}; {HOW}") from None
    return validate(arrays, path)


def _decode(data: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB").resize((SIZE, SIZE), Image.BILINEAR), np.uint8)


def read_filtered_zip(path: Path) -> dict:
    """cats_and_dogs_filtered/{train,validation}/{cats,dogs}/*.jpg -> interleaved arrays."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            out = {}
            for split, key in (("train", "train"), ("validation", "val")):
                cls = [sorted(n for n in names if n.startswith(f"cats_and_dogs_filtered/{split}/{c}/")
                              and n.lower().endswith(".jpg")) for c in ("cats", "dogs")]
                if not cls[0] or len(cls[0]) != len(cls[1]):
                    raise ValueError(f"{split}: {len(cls[0])} cat and {len(cls[1])} dog images")
                order = [n for pair in zip(*cls) for n in pair]  # cat, dog, cat, dog, ...
                out[f"x_{key}"] = np.stack([_decode(z.read(n)) for n in order])
                out[f"y_{key}"] = np.tile(np.array([0, 1], np.uint8), len(cls[0]))
    except Exception as exc:
        raise BenchError(f"{path} could not be read ({type(exc).__name__}: {exc}); expected TensorFlow's "
                         f"cats_and_dogs_filtered.zip; {HOW}") from None
    return validate(out, path)


def load_arrays(download: bool | None = None) -> tuple[dict, str]:
    try:
        path = locate(SUBSET, download=False)
    except BenchError:
        path = None
    if path is not None:  # a corrupt or truncated copy is an error, not a reason to download
        return read_npz(path), path.name
    try:
        path = locate(FILTERED, download=download)
    except BenchError as exc:
        raise BenchError(f"Cats vs Dogs not found: neither {SUBSET.filename} nor {FILTERED.filename} "
                         f"is in the data directory or a cache ({exc}); {HOW}") from None
    return read_filtered_zip(path), path.name


def load(n_train: int = 0, n_eval: int = 0) -> SupervisedData:
    """The first ``n_train`` / ``n_eval`` images (0: all; prefixes are class-balanced), scaled
    to [0, 1] float32; labels float32 0 (cat) / 1 (dog)."""
    arrays, source = load_arrays()
    n_train = n_train or len(arrays["x_train"])
    n_eval = n_eval or len(arrays["x_val"])
    if n_train > len(arrays["x_train"]) or n_eval > len(arrays["x_val"]):
        raise BenchError(f"{source} has {len(arrays['x_train'])} train / {len(arrays['x_val'])} "
                         f"validation images; asked for {n_train} / {n_eval}")
    return SupervisedData(
        arrays["x_train"][:n_train].astype(np.float32) / 255.0,
        arrays["y_train"][:n_train].astype(np.float32),
        arrays["x_val"][:n_eval].astype(np.float32) / 255.0,
        arrays["y_val"][:n_eval].astype(np.float32),
        name=f"Cats vs Dogs {n_train}/{n_eval} train/validation ({source}), {SIZE}x{SIZE}",
    )
