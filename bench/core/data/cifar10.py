"""CIFAR-10 as numpy arrays, preprocessed once for every backend.

Sources, in order: ``cifar10_subset.npz`` (Keras layout; 4000 train / 1000 test, the first
images of ``data_batch_1`` and ``test_batch``) in the data directory or a cache; else the
official python tarball (data directory, Keras cache or a download when online), converted to
the same arrays. Both give identical arrays for the first ``n_train`` / ``n_test`` images.

Preprocessing (seed 000, "Introduction to ResNet in TensorFlow 2"): scale to [0, 1], central
crop to 75% of the extent (32 -> 24, the pixels [4:28], as ``tf.image.central_crop(x, 0.75)``)
for train and test at load time; a random left-right flip of each training image, applied per
batch by the driver with its seeded RNG (``SupervisedData.augment``), so every backend sees the
same flips.
"""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

from bench.core.data.base import Need, SupervisedData
from bench.core.data.files import RemoteFile
from bench.core.data.npz import Layout, load_arrays as _load_arrays

SUBSET = RemoteFile(
    filename="cifar10_subset.npz",
    description="CIFAR-10 subset",
    size=14_163_565,
    sha256="ed7831a9dd2057c43a3af702633633caa793fa4d8f6c6c74e5d842bd39120c23",
)
TARBALL = RemoteFile(
    filename="cifar-10-python.tar.gz",
    description="CIFAR-10 (python version)",
    url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    size=170_498_071,
    sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    cache_names=("cifar-10-batches-py.tar.gz",),  # the name Keras caches it under
)
LAYOUT = Layout(
    title="CIFAR-10",
    shapes={
        "x_train": ((32, 32, 3), np.uint8),
        "y_train": ((1,), np.uint8),
        "x_test": ((32, 32, 3), np.uint8),
        "y_test": ((1,), np.uint8),
    },
    max_label=9,
    bad_labels="labels above 9",
    eval_split="test",
    expected="x_train (N, 32, 32, 3) uint8, y_train (N, 1) uint8, x_test (M, 32, 32, 3) uint8, y_test (M, 1) uint8",
    how=(
        f"put {SUBSET.filename} (the suite's offline copy, {SUBSET.size:,} bytes, sha256 "
        f"{SUBSET.sha256}) or {TARBALL.filename} (from {TARBALL.url}) in the data directory "
        "(set BENCH_DATA_DIR)"
    ),
)
CROP = 0.75


def central_crop(x: np.ndarray, fraction: float = CROP) -> np.ndarray:
    """The central ``fraction`` of each image's height and width, as tf.image.central_crop."""
    h, w = x.shape[1:3]
    top, left = int((h - h * fraction) / 2), int((w - w * fraction) / 2)
    return np.ascontiguousarray(x[:, top : h - top, left : w - left])


def random_flip(xb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Flip each image left-right with probability 1/2 (one draw per image from ``rng``)."""
    flip = rng.random(len(xb)) < 0.5
    out = xb.copy()
    out[flip] = out[flip][:, :, ::-1]
    return out


def read_tarball(path: Path) -> dict:
    """The official python tarball -> the Keras layout (data_batch_1..5, test_batch)."""

    def batch(tar, name):
        raw = pickle.load(io.BytesIO(tar.extractfile(f"cifar-10-batches-py/{name}").read()), encoding="bytes")
        x = np.asarray(raw[b"data"], np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return x, np.asarray(raw[b"labels"], np.uint8).reshape(-1, 1)

    try:
        with tarfile.open(path, "r:gz") as tar:
            train = [batch(tar, f"data_batch_{i}") for i in range(1, 6)]
            x_test, y_test = batch(tar, "test_batch")
    except Exception as exc:
        raise LAYOUT.unreadable(path, exc, "the CIFAR-10 python tarball") from None
    arrays = {
        "x_train": np.concatenate([b[0] for b in train]),
        "y_train": np.concatenate([b[1] for b in train]),
        "x_test": x_test,
        "y_test": y_test,
    }
    return LAYOUT.validate(arrays, path)


def load_arrays(download: bool | None = None) -> tuple[dict, str]:
    """Raw uint8 arrays in the Keras layout and the name of the file they came from."""
    return _load_arrays(LAYOUT, SUBSET, TARBALL, read_tarball, download)


def needs(hp=None) -> tuple[Need, ...]:
    """Every CIFAR-10 cell reads the subset or the tarball; there is no stand-in."""
    return (Need("cifar10"),)


def load(n_train: int = 0, n_test: int = 0, crop: float = CROP, flip: bool = True) -> SupervisedData:
    """The first ``n_train`` / ``n_test`` images (0: all), scaled, centrally cropped; labels int64."""
    arrays, source = load_arrays()
    n_train, n_test = LAYOUT.sizes(arrays, source, n_train, n_test)

    def prep(x):
        return central_crop(x.astype(np.float32) / 255.0, crop)

    x_train, x_test = prep(arrays["x_train"][:n_train]), prep(arrays["x_test"][:n_test])
    y_train = arrays["y_train"][:n_train, 0].astype(np.int64)
    y_test = arrays["y_test"][:n_test, 0].astype(np.int64)
    size = x_train.shape[1]
    return SupervisedData(
        x_train,
        y_train,
        x_test,
        y_test,
        name=f"CIFAR-10 {n_train}/{n_test} ({source}), {size}x{size} central crop" + (", random flip" if flip else ""),
        augment=random_flip if flip else None,
    )
