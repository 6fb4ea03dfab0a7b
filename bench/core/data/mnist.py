"""MNIST and its offline stand-in, scikit-learn's bundled 8x8 digits.

``load(hp, seed)`` returns a :class:`SupervisedData` of float32 images in [0, 1] and int64
labels, preprocessed once here for every backend:

* ``hp["dataset"]``: ``"mnist"`` (the file must be found), ``"digits"`` (the bundled set) or
  ``"auto"`` (MNIST when ``mnist.npz`` is found, downloadable or cached; otherwise the digits,
  so a quick run works offline with no data directory);
* ``hp["image_size"]``: 28, or 32 for LeNet-5 (zero padding of 2 pixels on every side);
* ``hp["flatten"]``: images as (N, size*size) rows instead of (N, size, size, 1) (NHWC);
* ``hp["train_limit"]`` / ``hp["eval_limit"]``: keep only the first n examples (0: all), for
  quick budgets.

``mnist.npz`` is looked for by :func:`bench.core.data.files.locate` (data directory, Keras cache,
download); it must hold Keras's layout, which is checked: a wrong or damaged file is a
:class:`BenchError` naming the file, the expected contents and where to get it.
"""

from __future__ import annotations

import zipfile
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np

from bench.core.data.base import Need, SupervisedData
from bench.core.data.files import RemoteFile, check_data_dir, locate
from bench.core.errors import BenchError, choices

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST = RemoteFile(
    filename="mnist.npz",
    description=f"MNIST (Keras's mnist.npz, from {MNIST_URL})",
    url=MNIST_URL,
    sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",  # Keras's own file
    size=11_490_434,
    # the suite's offline copy (shared/data/README.md): the same arrays in another zip container
    alternates=(
        (
            11_490_519,
            "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64",
            "the suite's offline copy (Keras's arrays, another zip container)",
        ),
    ),
)
# key -> (shape, dtype) of Keras's mnist.npz
LAYOUT = {
    "x_train": ((60000, 28, 28), np.uint8),
    "y_train": ((60000,), np.uint8),
    "x_test": ((10000, 28, 28), np.uint8),
    "y_test": ((10000,), np.uint8),
}
DATASETS = ("auto", "mnist", "digits")


def expected_layout() -> str:
    return ", ".join(f"{k} {shape} {np.dtype(dt).name}" for k, (shape, dt) in LAYOUT.items())


def _bad_file(path: Path, problem: str) -> BenchError:
    return BenchError(
        f"{path} is not a usable MNIST file ({problem}); expected a NumPy .npz with "
        f"{expected_layout()}, pixel values 0-255 and labels 0-9 (Keras's mnist.npz, "
        f"sha256 {MNIST.sha256[:16]}..., {MNIST.size:,} bytes, from {MNIST_URL}); "
        f"replace it and put it in the data directory (BENCH_DATA_DIR)"
    )


@lru_cache(maxsize=2)
def _read_mnist(path: str, mtime: float, size: int):
    """The four arrays of a checked mnist.npz (cached per file version)."""
    p = Path(path)
    try:
        with np.load(p, allow_pickle=False) as d:
            missing = sorted(set(LAYOUT) - set(d.files))
            if missing:
                raise _bad_file(p, f"missing arrays {missing}; it has {sorted(d.files)}")
            arrays = {k: d[k] for k in LAYOUT}
    except BenchError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        raise _bad_file(p, f"unreadable: {type(exc).__name__}: {exc}") from None
    for key, (shape, dtype) in LAYOUT.items():
        a = arrays[key]
        if a.shape != shape or a.dtype != dtype:
            raise _bad_file(p, f"{key} is {a.shape} {a.dtype.name}")
    for key in ("y_train", "y_test"):
        if arrays[key].max() > 9:
            raise _bad_file(p, f"{key} has labels above 9")
    return arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"]


def read_mnist(path: Path | None = None):
    """(x_train, y_train, x_test, y_test) as uint8 arrays, from ``path`` or the located file."""
    path = Path(path) if path is not None else locate(MNIST)
    st = path.stat()
    return _read_mnist(str(path), st.st_mtime, st.st_size)


def digits(data_seed: int = 0, n_test: int = 297):
    """scikit-learn's bundled handwritten digits (1797 images, 8x8, values 0-16), made to look
    like MNIST: each pixel repeated 3x3 (24x24), zero-padded to 28x28, scaled to [0, 1].
    A fixed permutation (``data_seed``) splits them into 1500 train and 297 test images.
    Returns float32 images (N, 28, 28) and int64 labels."""
    from sklearn.datasets import load_digits

    d = load_digits()
    imgs = np.kron(d.images, np.ones((3, 3))) / 16.0
    imgs = np.pad(imgs, ((0, 0), (2, 2), (2, 2))).astype(np.float32)
    order = np.random.default_rng(data_seed).permutation(len(imgs))
    imgs, labels = imgs[order], d.target[order].astype(np.int64)
    return imgs[:-n_test], labels[:-n_test], imgs[-n_test:], labels[-n_test:]


def _find_mnist(dataset: str) -> Path | None:
    """The located mnist.npz, or None when ``auto`` may fall back to the digits."""
    check_data_dir()  # a mistyped BENCH_DATA_DIR is an error, not a reason to use the digits
    try:
        return locate(MNIST)
    except BenchError:
        if dataset == "mnist":
            raise
        return None


def _shape(x: np.ndarray, size: int, flatten: bool) -> np.ndarray:
    """(N, 28, 28) float32 -> zero-padded to ``size`` and NHWC, or flat rows."""
    if size not in (28, 32):
        raise BenchError(f"image_size must be 28 or 32 (LeNet-5 pads to 32), not {size}")
    if size == 32:
        x = np.pad(x, ((0, 0), (2, 2), (2, 2)))
    x = x.reshape(len(x), -1) if flatten else x[..., None]
    return np.ascontiguousarray(x, dtype=np.float32)


STAND_IN = "scikit-learn's bundled digits (8x8, upscaled to 28x28)"


def needs(hp) -> tuple[Need, ...]:
    """What a cell with these settings reads: MNIST (``auto``: with the digits as its stand-in)."""
    dataset = hp.get("dataset", "auto")
    if dataset == "digits":
        return ()
    return (Need("mnist", fallback=STAND_IN if dataset == "auto" else None),)


def load(hp, seed=0) -> SupervisedData:
    dataset = hp.get("dataset", "auto")
    if dataset not in DATASETS:
        raise BenchError(f"unknown dataset '{dataset}' for MNIST workloads; choose from: {choices(DATASETS)}")
    path = _find_mnist(dataset) if dataset != "digits" else None
    if path is not None:
        x_tr, y_tr, x_te, y_te = read_mnist(path)
        x_tr, x_te = x_tr.astype(np.float32) / 255.0, x_te.astype(np.float32) / 255.0
        name = "MNIST"
    else:
        x_tr, y_tr, x_te, y_te = digits(int(hp.get("data_seed", 0)))
        name = "sklearn digits (8x8 upscaled to 28x28)"
        if dataset == "auto":
            name += ", offline stand-in: mnist.npz not found"
    n_tr, n_te = int(hp.get("train_limit") or 0), int(hp.get("eval_limit") or 0)
    if n_tr:
        x_tr, y_tr = x_tr[:n_tr], y_tr[:n_tr]
    if n_te:
        x_te, y_te = x_te[:n_te], y_te[:n_te]
    size, flatten = int(hp.get("image_size", 28)), bool(hp.get("flatten", False))
    data = SupervisedData(
        _shape(x_tr, size, flatten),
        y_tr.astype(np.int64),
        _shape(x_te, size, flatten),
        y_te.astype(np.int64),
        name=f"{name}, {len(x_tr)} train / {len(x_te)} test, {size}x{size}",
    )
    data.extra["source"] = str(path) if path is not None else "sklearn.datasets.load_digits"
    data.extra["dataset"] = "mnist" if path is not None else "digits"
    return data
