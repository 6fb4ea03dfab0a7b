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

from bench.core.data.base import Need, SupervisedData
from bench.core.data.files import RemoteFile
from bench.core.data.npz import Layout, load_arrays as _load_arrays

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
LAYOUT = Layout(
    title="Cats vs Dogs",
    shapes={
        "x_train": ((SIZE, SIZE, 3), np.uint8),
        "y_train": ((), np.uint8),
        "x_val": ((SIZE, SIZE, 3), np.uint8),
        "y_val": ((), np.uint8),
    },
    max_label=1,
    bad_labels="labels other than 0 and 1",
    eval_split="validation",
    expected=(
        f"x_train (N, {SIZE}, {SIZE}, 3) uint8, y_train (N,) uint8 in {{0, 1}}, "
        f"x_val (M, {SIZE}, {SIZE}, 3) uint8, y_val (M,) uint8"
    ),
    how=(
        f"put {SUBSET.filename} (the suite's offline copy, {SUBSET.size:,} bytes, sha256 "
        f"{SUBSET.sha256}) or {FILTERED.filename} (from {FILTERED.url}) in the data "
        "directory (set BENCH_DATA_DIR)"
    ),
)


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
                cls = [
                    sorted(
                        n
                        for n in names
                        if n.startswith(f"cats_and_dogs_filtered/{split}/{c}/") and n.lower().endswith(".jpg")
                    )
                    for c in ("cats", "dogs")
                ]
                if not cls[0] or len(cls[0]) != len(cls[1]):
                    raise ValueError(f"{split}: {len(cls[0])} cat and {len(cls[1])} dog images")
                order = [n for pair in zip(*cls, strict=True) for n in pair]  # cat, dog, cat, dog, ...
                out[f"x_{key}"] = np.stack([_decode(z.read(n)) for n in order])
                out[f"y_{key}"] = np.tile(np.array([0, 1], np.uint8), len(cls[0]))
    except Exception as exc:
        raise LAYOUT.unreadable(path, exc, "TensorFlow's cats_and_dogs_filtered.zip") from None
    return LAYOUT.validate(out, path)


def load_arrays(download: bool | None = None) -> tuple[dict, str]:
    """Raw uint8 arrays and the name of the file they came from."""
    return _load_arrays(LAYOUT, SUBSET, FILTERED, read_filtered_zip, download)


def needs(hp=None) -> tuple[Need, ...]:
    """Every Cats-vs-Dogs cell reads the subset or TensorFlow's zip; there is no stand-in."""
    return (Need("cats_vs_dogs"),)


def load(n_train: int = 0, n_eval: int = 0) -> SupervisedData:
    """The first ``n_train`` / ``n_eval`` images (0: all; prefixes are class-balanced), scaled
    to [0, 1] float32; labels float32 0 (cat) / 1 (dog)."""
    arrays, source = load_arrays()
    n_train, n_eval = LAYOUT.sizes(arrays, source, n_train, n_eval)
    return SupervisedData(
        arrays["x_train"][:n_train].astype(np.float32) / 255.0,
        arrays["y_train"][:n_train].astype(np.float32),
        arrays["x_val"][:n_eval].astype(np.float32) / 255.0,
        arrays["y_val"][:n_eval].astype(np.float32),
        name=f"Cats vs Dogs {n_train}/{n_eval} train/validation ({source}), {SIZE}x{SIZE}",
    )
