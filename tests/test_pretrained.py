"""Pretrained backbone weights (bench/core/pretrained.py): Keras's HDF5 layout read and written, a file
of the wrong architecture rejected with the first mismatching layer named, a missing file
explained, source-task checkpoints saved and found, and ``bench pretrain`` / ``bench run`` errors."""

import json

import h5py
import numpy as np
import pytest

from bench.cli.main import main
from bench.core import pretrained
from bench.core.arch import resnet50
from bench.core.data import files
from bench.core.data.base import data_dir
from bench.core.errors import BenchError

REAL_DATA = data_dir()


def random_backbone(seed=0):
    rng = np.random.default_rng(seed)
    return {n: rng.normal(0, 0.1, s).astype(np.float32) for n, s in resnet50.canonical_shapes().items()}


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    """An empty data directory and cache, downloads off."""
    data, cache = tmp_path / "data", tmp_path / "cache"
    data.mkdir()
    monkeypatch.setenv("BENCH_DATA_DIR", str(data))
    monkeypatch.setenv("BENCH_OFFLINE", "1")
    monkeypatch.setattr(files, "CACHE", cache)
    monkeypatch.setattr(files, "search_dirs", lambda: [data, cache])
    return data, cache


def test_architecture_matches_the_document():
    shapes = resnet50.canonical_shapes(1)
    total = sum(int(np.prod(s)) for s in shapes.values())
    head = sum(int(np.prod(s)) for n, s in shapes.items() if n.startswith("head/"))
    assert (total, head) == (23_589_761, 2_049)  # the document's model summary
    assert resnet50.feature_size(100) == 4  # (None, 4, 4, 2048)
    assert len([n for n in shapes if n.endswith("_conv/kernel")]) == 53


def test_h5_round_trip(tmp_path):
    w = random_backbone()
    path = tmp_path / pretrained.IMAGENET.filename
    pretrained.write_h5(path, w)
    back = pretrained.read_h5(path)
    assert back.keys() == w.keys()
    assert all(np.array_equal(back[k], w[k]) for k in w)


def test_h5_file_has_the_layout_keras_loads(tmp_path):
    """keras.applications.ResNet50(weights=<file>) reads the file the test wrote, and the
    weights it ends up with are the canonical ones, layer by layer."""
    keras = pytest.importorskip("keras")
    from impls.keras import _cnn

    w = random_backbone(1)
    path = tmp_path / pretrained.IMAGENET.filename
    pretrained.write_h5(path, w)
    model = keras.applications.ResNet50(weights=str(path), include_top=False, input_shape=(32, 32, 3))
    got = _cnn.get_weights(model)
    assert got.keys() == w.keys()
    assert all(np.array_equal(got[k], w[k]) for k in w)


def test_wrong_architecture_names_the_first_mismatching_layer(tmp_path):
    w = random_backbone()
    w["conv3_block2_2_conv/kernel"] = np.zeros((3, 3, 128, 64), np.float32)
    w["conv4_block1_1_conv/kernel"] = np.zeros((1, 1, 1, 1), np.float32)
    path = tmp_path / "wrong.h5"
    pretrained.write_h5(path, w)
    with pytest.raises(BenchError, match=r"first mismatching layer is 'conv3_block2_2_conv'.*\(3, 3, 128, 128\)"):
        pretrained.read_h5(path)


def test_missing_layer_is_named(tmp_path):
    path = tmp_path / "short.h5"
    pretrained.write_h5(path, random_backbone())
    with h5py.File(path, "r+") as f:
        names = [n for n in f.attrs["layer_names"] if n != b"conv5_block3_3_bn"]
        f.attrs["layer_names"] = np.array(names)
    with pytest.raises(BenchError, match="first mismatching layer is 'conv5_block3_3_bn'"):
        pretrained.read_h5(path)


def test_not_an_h5_file(tmp_path):
    path = tmp_path / "junk.h5"
    path.write_bytes(b"not hdf5")
    with pytest.raises(BenchError, match="not a readable Keras HDF5 weights file.*94,765,736 bytes"):
        pretrained.read_h5(path)


def test_missing_imagenet_file_says_what_and_where(dirs):
    data, _ = dirs
    with pytest.raises(BenchError) as err:
        pretrained.load_backbone("imagenet")
    msg = str(err.value)
    assert pretrained.IMAGENET.filename in msg and "94,765,736 bytes" in msg
    assert "BENCH_DATA_DIR" in msg and str(data) in msg


def test_imagenet_file_in_the_data_directory_is_used(dirs):
    data, _ = dirs
    w = random_backbone(2)
    pretrained.write_h5(data / pretrained.IMAGENET.filename, w)
    for choice in ("imagenet", "auto"):
        got, source = pretrained.load_backbone(choice)
        assert source.startswith("ImageNet") and np.array_equal(got["conv1_conv/kernel"], w["conv1_conv/kernel"])


def test_checkpoint_save_and_auto_fallback(dirs):
    with pytest.raises(BenchError, match="nor is there a source-task checkpoint.*bench pretrain --source cifar10"):
        pretrained.load_backbone("auto")
    with pytest.raises(BenchError, match="bench pretrain --source cifar10"):
        pretrained.load_backbone("cifar10")
    w = random_backbone(3)
    w["head/kernel"] = np.zeros((2048, 10), np.float32)  # the source task's head is not saved
    path = pretrained.save_checkpoint(
        pretrained.default_checkpoint_path("cifar10"), w, {"spec": "resnet50_cifar10", "backend": "torch", "seed": 0}
    )
    with np.load(path) as z:
        assert "head/kernel" not in z.files and json.loads(str(z["__meta__"]))["backend"] == "torch"
    for choice in ("cifar10", "auto", str(path)):
        got, source = pretrained.load_backbone(choice)
        assert "resnet50_cifar10" in source and "torch" in source
        assert np.array_equal(got["conv5_block3_3_bn/gamma"], w["conv5_block3_3_bn/gamma"])


def test_unknown_weights_choice():
    with pytest.raises(BenchError, match="unknown weights 'imagenett'; choose from: auto, imagenet"):
        pretrained.load_backbone("imagenett")


def test_cli_errors(dirs, capsys, tmp_path, monkeypatch):
    assert main(["pretrain", "--source", "mnist"]) == 2
    assert "unknown source task 'mnist'" in capsys.readouterr().err
    assert main(["pretrain", "--set", "nope=1"]) == 2
    assert "unknown setting 'nope'" in capsys.readouterr().err
    assert main(["pretrain", "--set", "epochs"]) == 2
    assert "malformed --set 'epochs'" in capsys.readouterr().err


def test_missing_weights_through_bench_run(dirs, capsys, tmp_path, monkeypatch):
    """The cell (a subprocess) fails with the message; the run exits 1 with no traceback."""
    data, cache = dirs
    real = REAL_DATA and REAL_DATA / "cats_vs_dogs_subset.npz"
    if not (real and real.is_file()):
        pytest.skip("needs cats_vs_dogs_subset.npz in BENCH_DATA_DIR")
    (data / real.name).symlink_to(real)
    monkeypatch.setenv("BENCH_CACHE_DIR", str(cache))
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.keras cache either
    code = main(
        [
            "run",
            "--algo",
            "transfer_resnet50",
            "--backend",
            "torch",
            "--set",
            "weights=imagenet",
            "--results-dir",
            str(tmp_path / "runs"),
            "--no-progress",
            "--no-history",
        ]
    )
    out = capsys.readouterr()
    assert code == 1 and "Traceback" not in out.err + out.out
    assert pretrained.IMAGENET.filename in out.out and "94,765,736 bytes" in out.out
