"""Pretrained ResNet50 backbone weights, converted once into the canonical layout, from which the
harness sets them into every backend (so the three backbones start identical).

Sources (the spec's ``weights`` setting):

* ``imagenet``: Keras's ImageNet weights without the top,
  ``resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5`` (Keras's legacy HDF5 layout: the
  root attribute ``layer_names``, one group per layer with the attribute ``weight_names``),
  looked for in the data directory, the Keras cache (~/.keras/models) and the suite's cache, and
  downloaded when online.
* ``cifar10``: a source-task checkpoint made offline by ``bench pretrain`` (the same ResNet50
  trained on the CIFAR-10 subset, spec ``resnet50_cifar10``), an ``.npz`` in the canonical layout
  with a JSON ``__meta__`` entry saying how it was made.
* ``auto``: ``imagenet`` when its file is there, else the ``cifar10`` checkpoint, else an error
  that names both.
* ``random``: no pretraining (the spec's initialisation).
* a path to an ``.h5`` or ``.npz`` file of either kind.

Every file is checked against the architecture (bench/core/arch/resnet50.py) in Keras's layer
order, and the first layer that is missing or has the wrong shape is named. The command
that makes the ``cifar10`` checkpoint is ``bench pretrain`` (bench/cli/pretrain.py).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from bench.core.arch import resnet50
from bench.core.data import files
from bench.core.data.files import RemoteFile
from bench.core.errors import BenchError

IMAGENET = RemoteFile(
    filename="resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
    description="Keras's ImageNet ResNet50 weights (no top)",
    url="https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
    "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
    size=94_765_736,
)
SOURCES = {"cifar10": "resnet50_cifar10"}  # source task -> the spec that pretrains on it
CHOICES = ("auto", "imagenet", "random", *SOURCES)


def checkpoint_file(source: str) -> RemoteFile:
    return RemoteFile(
        filename=f"resnet50_{source}_source.npz", description=f"the ResNet50 {source} source-task checkpoint"
    )


def default_checkpoint_path(source: str) -> Path:
    return files.CACHE / "pretrained" / checkpoint_file(source).filename


def check_backbone(weights: dict, where: str) -> dict:
    """``weights`` restricted to the backbone, after checking it layer by layer in Keras's order."""
    for layer, kinds in resnet50.layers():
        for kind, shape in kinds.items():
            name = f"{layer}/{kind}"
            if name not in weights:
                raise BenchError(
                    f"{where} does not fit ResNet50: the first mismatching layer is '{layer}' "
                    f"(no '{kind}' weight; expected shape {shape})"
                )
            if tuple(np.shape(weights[name])) != shape:
                raise BenchError(
                    f"{where} does not fit ResNet50: the first mismatching layer is '{layer}' "
                    f"('{kind}' has shape {tuple(np.shape(weights[name]))}, expected {shape})"
                )
    return {n: np.asarray(weights[n], np.float32) for n in resnet50.canonical_shapes()}


# --- Keras's legacy HDF5 weights layout ----------------------------------------------------------


def _text(values) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def read_h5(path: Path) -> dict:
    """Canonical backbone weights from a Keras HDF5 weights file (``imagenet`` layout)."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            root = f["model_weights"] if "model_weights" in f else f
            out = {}
            for layer in _text(root.attrs["layer_names"]):
                group = root[layer]
                for wname in _text(group.attrs.get("weight_names", [])):
                    kind = wname.split("/")[-1].split(":")[0]
                    out[f"{layer}/{kind}"] = np.asarray(group[wname])
    except (OSError, KeyError, ValueError) as exc:
        raise BenchError(
            f"{path} is not a readable Keras HDF5 weights file ({type(exc).__name__}: {exc}); "
            f"expected {IMAGENET.filename} ({IMAGENET.size:,} bytes) from {IMAGENET.url}"
        ) from None
    return check_backbone(out, str(path))


def write_h5(path: Path, weights: dict) -> None:
    """Write canonical backbone weights in Keras's legacy HDF5 layout (the ImageNet file's)."""
    import h5py

    path = Path(path)
    with h5py.File(path, "w") as f:
        layers = resnet50.layers()
        f.attrs["layer_names"] = np.array([name.encode() for name, _ in layers])
        f.attrs["backend"], f.attrs["keras_version"] = b"tensorflow", b"2.2.4"
        for layer, kinds in layers:
            group = f.create_group(layer)
            wnames = [f"{layer}/{kind}:0" for kind in kinds]
            group.attrs["weight_names"] = np.array([w.encode() for w in wnames])
            for kind, wname in zip(kinds, wnames):
                group.create_dataset(wname, data=np.asarray(weights[f"{layer}/{kind}"], np.float32))


# --- source-task checkpoints ---------------------------------------------------------------------


def save_checkpoint(path: Path, weights: dict, meta: dict) -> Path:
    """Save the backbone part of ``weights`` (canonical layout) atomically, with ``meta``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = check_backbone(weights, "the weights to save")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".npz")
    os.close(fd)
    try:
        np.savez(tmp, __meta__=np.array(json.dumps(meta)), **arrays)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def read_checkpoint(path: Path) -> tuple[dict, dict]:
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError) as exc:
        raise BenchError(f"{path} is not a readable .npz checkpoint ({type(exc).__name__}: {exc})") from None
    meta = json.loads(str(arrays.pop("__meta__"))) if "__meta__" in arrays else {}
    return check_backbone(arrays, str(path)), meta


def _describe_checkpoint(path: Path, meta: dict) -> str:
    made = ", ".join(f"{k} {meta[k]}" for k in ("spec", "backend", "seed", "budget", "metrics") if k in meta)
    return f"{Path(path).name} ({made})" if made else Path(path).name


def _find_checkpoint(source: str) -> Path | None:
    f = checkpoint_file(source)
    for d in files.search_dirs() + [files.CACHE / "pretrained"]:
        if (d / f.filename).is_file():
            return d / f.filename
    return None


def load_file(path: Path) -> tuple[dict, str]:
    path = Path(path)
    if not path.is_file():
        raise BenchError(f"weights file {path} not found")
    if path.suffix == ".h5":
        return read_h5(path), f"{path.name} (Keras HDF5)"
    weights, meta = read_checkpoint(path)
    return weights, _describe_checkpoint(path, meta)


def _source_checkpoint(source: str, missing: str) -> tuple[dict, str]:
    path = _find_checkpoint(source)
    if path is None:
        f = checkpoint_file(source)
        raise BenchError(
            f"{missing}{f.description} ({f.filename}) not found in {files.CACHE / 'pretrained'} "
            f"or the data directory: make it offline with 'bench pretrain --source {source}'"
        )
    weights, meta = read_checkpoint(path)
    return weights, f"{source} source task: " + _describe_checkpoint(path, meta)


def load_backbone(choice: str) -> tuple[dict, str]:
    """(canonical backbone weights, a description naming them) for the spec's ``weights``."""
    if choice == "random":
        return {}, "random initialisation (no pretraining)"
    if choice in ("imagenet", "auto"):
        try:
            path = files.locate(IMAGENET)
            return read_h5(path), f"ImageNet ({path.name})"
        except BenchError as exc:
            if choice == "imagenet":
                raise
            return _source_checkpoint("cifar10", missing=f"{exc}; nor is there a source-task checkpoint: ")
    if choice in SOURCES:
        return _source_checkpoint(choice, missing="")
    if choice.endswith((".h5", ".npz")):
        return load_file(Path(choice))
    raise BenchError(f"unknown weights '{choice}'; choose from: {', '.join(CHOICES)} or a path to an .h5/.npz file")
