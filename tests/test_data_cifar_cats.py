"""The CIFAR-10 and Cats-vs-Dogs loaders: the offline files (BENCH_DATA_DIR), the canonical
download formats (python tarball, cats_and_dogs_filtered.zip) converted to the same arrays,
preprocessing done once in bench/, seeded augmentation, and one-line errors for missing or
corrupt files (also through the CLI)."""

import io
import pickle
import tarfile
import zipfile

import numpy as np
import pytest

from bench.core.data import cats_vs_dogs, cifar10, data_dir, files
from bench.core.errors import BenchError

HAVE_DATA = data_dir() is not None and (data_dir() / "cifar10_subset.npz").is_file()
SHARED = data_dir()  # read before any test points BENCH_DATA_DIR elsewhere
needs_data = pytest.mark.skipif(not HAVE_DATA, reason="set BENCH_DATA_DIR to the shared data directory")


@pytest.fixture
def empty_env(tmp_path, monkeypatch):
    """No data directory content, no caches, no downloads."""
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("BENCH_DATA_DIR", str(data))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("BENCH_OFFLINE", "1")
    monkeypatch.setattr(files, "CACHE", tmp_path / "cache")
    return data


# ---------------------------------------------------------------- CIFAR-10


@needs_data
def test_cifar_subset_loads_cropped_and_scaled():
    d = cifar10.load(100, 50)
    assert d.x_train.shape == (100, 24, 24, 3) and d.x_eval.shape == (50, 24, 24, 3)
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert "cifar10_subset.npz" in d.name and "100/50" in d.name
    # content checks from the data README
    assert d.y_train[:10].tolist() == [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]
    assert d.y_eval[:10].tolist() == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]
    with np.load(data_dir() / "cifar10_subset.npz") as raw:
        np.testing.assert_array_equal(d.x_train[0], raw["x_train"][0, 4:28, 4:28] / np.float32(255))
    assert d.augment is cifar10.random_flip


def test_central_crop_matches_tensorflow():
    tf = pytest.importorskip("tensorflow")
    x = np.random.default_rng(0).random((2, 32, 32, 3)).astype(np.float32)
    np.testing.assert_array_equal(cifar10.central_crop(x), tf.image.central_crop(x, 0.75).numpy())


def test_random_flip_is_seeded_and_per_image():
    x = np.random.default_rng(0).random((64, 24, 24, 3)).astype(np.float32)
    a = cifar10.random_flip(x, np.random.default_rng([3, 1]))
    b = cifar10.random_flip(x, np.random.default_rng([3, 1]))
    np.testing.assert_array_equal(a, b)  # same seed, same flips: every backend sees the same batch
    flipped = [np.array_equal(a[i], x[i, :, ::-1]) for i in range(len(x))]
    kept = [np.array_equal(a[i], x[i]) for i in range(len(x))]
    assert all(f != k for f, k in zip(flipped, kept))
    assert 16 < sum(flipped) < 48
    assert not np.array_equal(x, a)  # the input batch is not modified in place ...
    np.testing.assert_array_equal(x, np.random.default_rng(0).random((64, 24, 24, 3)).astype(np.float32))


def _fake_tarball(path, n=3):
    """A CIFAR-10 python tarball in the official format (pickled dicts, CHW rows)."""
    rng = np.random.default_rng(0)
    batches = {}
    with tarfile.open(path, "w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
            labels = rng.integers(0, 10, n).tolist()
            batches[name] = (data, labels)
            blob = pickle.dumps({b"data": data, b"labels": labels})
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return batches


def test_cifar_tarball_converted_to_keras_layout(empty_env):
    batches = _fake_tarball(empty_env / "cifar-10-python.tar.gz")
    arrays, source = cifar10.load_arrays()
    assert source == "cifar-10-python.tar.gz"
    assert arrays["x_train"].shape == (15, 32, 32, 3) and arrays["y_train"].shape == (15, 1)
    data, labels = batches["data_batch_2"]
    # row layout: 1024 red, 1024 green, 1024 blue values, each row-major 32x32
    assert arrays["x_train"][3, 5, 7, 1] == data[0, 1024 + 5 * 32 + 7]
    assert arrays["y_train"][3, 0] == labels[0]
    d = cifar10.load()
    assert d.x_train.shape == (15, 24, 24, 3) and "cifar-10-python.tar.gz" in d.name


def test_cifar_missing_names_files_and_where(empty_env):
    with pytest.raises(BenchError) as err:
        cifar10.load(10, 10)
    msg = str(err.value)
    assert "\n" not in msg
    for part in ("cifar10_subset.npz", "cifar-10-python.tar.gz", "BENCH_DATA_DIR", cifar10.TARBALL.url, str(empty_env)):
        assert part in msg


@needs_data
def test_cifar_truncated_file(empty_env):
    src = SHARED / "cifar10_subset.npz"
    (empty_env / "cifar10_subset.npz").write_bytes(src.read_bytes()[:200_000])
    with pytest.raises(BenchError) as err:
        cifar10.load(10, 10)
    msg = str(err.value)
    for part in ("cifar10_subset.npz", "(N, 32, 32, 3) uint8", "sha256", "BENCH_DATA_DIR", cifar10.TARBALL.url):
        assert part in msg
    assert "\n" not in msg


def test_cifar_wrong_shapes(empty_env):
    np.savez(
        empty_env / "cifar10_subset.npz",
        x_train=np.zeros((4, 28, 28), np.uint8),
        y_train=np.zeros((4, 1), np.uint8),
        x_test=np.zeros((2, 32, 32, 3), np.uint8),
    )
    with pytest.raises(
        BenchError,
        match=r"'x_train' is \(4, 28, 28\) uint8; missing key 'y_test'.*"
        r"expected x_train \(N, 32, 32, 3\) uint8",
    ):
        cifar10.load()


def test_cifar_asking_for_more_than_the_file_has(empty_env):
    _fake_tarball(empty_env / "cifar-10-python.tar.gz")
    with pytest.raises(BenchError, match="has 15 train / 3 test images; asked for 100 / 3"):
        cifar10.load(100, 3)


# ---------------------------------------------------------------- Cats vs Dogs


@needs_data
def test_cats_subset_loads_scaled_interleaved():
    d = cats_vs_dogs.load(10, 6)
    assert d.x_train.shape == (10, 100, 100, 3) and d.x_eval.shape == (6, 100, 100, 3)
    assert d.x_train.dtype == np.float32 and 0.0 <= d.x_train.min() and d.x_train.max() <= 1.0
    assert d.y_train.tolist() == [0, 1] * 5 and d.y_eval.dtype == np.float32
    assert "cats_vs_dogs_subset.npz" in d.name and d.augment is None


def _jpeg(color, size):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def test_cats_filtered_zip_decoded_and_resized(empty_env):
    with zipfile.ZipFile(empty_env / "cats_and_dogs_filtered.zip", "w") as z:
        for split, n in (("train", 3), ("validation", 2)):
            for i in range(n):
                z.writestr(f"cats_and_dogs_filtered/{split}/cats/cat.{i}.jpg", _jpeg((200, 10, 10), (150, 90)))
                z.writestr(f"cats_and_dogs_filtered/{split}/dogs/dog.{i}.jpg", _jpeg((10, 10, 200), (80, 120)))
    d = cats_vs_dogs.load()
    assert d.x_train.shape == (6, 100, 100, 3) and d.x_eval.shape == (4, 100, 100, 3)
    assert d.y_train.tolist() == [0, 1, 0, 1, 0, 1]
    assert d.x_train[0, 50, 50, 0] > 0.7 and d.x_train[1, 50, 50, 2] > 0.7  # red cat, blue dog
    assert "cats_and_dogs_filtered.zip" in d.name


def test_cats_missing_and_corrupt(empty_env):
    with pytest.raises(BenchError) as err:
        cats_vs_dogs.load()
    for part in ("cats_vs_dogs_subset.npz", "cats_and_dogs_filtered.zip", cats_vs_dogs.FILTERED.url, "BENCH_DATA_DIR"):
        assert part in str(err.value)
    (empty_env / "cats_vs_dogs_subset.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(BenchError) as err:
        cats_vs_dogs.load()
    msg = str(err.value)
    for part in ("cats_vs_dogs_subset.npz", "could not be read", "(N, 100, 100, 3) uint8", "sha256", "BENCH_DATA_DIR"):
        assert part in msg


def test_cats_bad_labels(empty_env):
    np.savez(
        empty_env / "cats_vs_dogs_subset.npz",
        x_train=np.zeros((2, 100, 100, 3), np.uint8),
        y_train=np.array([0, 2], np.uint8),
        x_val=np.zeros((1, 100, 100, 3), np.uint8),
        y_val=np.zeros(2, np.uint8),
    )
    with pytest.raises(BenchError, match="y_train has labels other than 0 and 1; x_val has 1 images but y_val 2"):
        cats_vs_dogs.load()


# ---------------------------------------------------------------- through the CLI


@pytest.mark.parametrize("corrupt", [False, True], ids=["missing", "corrupt"])
def test_cli_reports_data_problem_in_one_line(empty_env, tmp_path, capsys, corrupt):
    from bench.cli.main import main

    if corrupt:
        (empty_env / "cifar10_subset.npz").write_bytes(b"\x93NUMPY truncated")
    code = main(
        [
            "run",
            "--algo",
            "resnet10",
            "--backend",
            "torch",
            "--results-dir",
            str(tmp_path / "out"),
            "--no-progress",
            "--timeout",
            "300",
        ]
    )
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if not corrupt:  # absent and downloads off: skipped before any cell starts, with the fix; no cell ran: exit 1
        assert code == 1
        assert (
            "bench: skipped 1 cell(s): CIFAR-10 is not here (downloads are off (BENCH_OFFLINE=1)): resnet10 x torch"
            in err
        )
        fix = next(ln for ln in err.splitlines() if ln.startswith("bench:   fix:"))
        assert "bench data fetch cifar10" in fix and "cifar10_subset.npz" in fix and "BENCH_DATA_DIR" in fix
        return
    assert code == 1  # a corrupt copy is present: the cell fails with the message; the matrix goes on
    line = next(ln for ln in (out + err).splitlines() if ln.startswith("resnet10/torch/cpu/seed0: failed: BenchError"))
    assert "cifar10_subset.npz" in line and "BENCH_DATA_DIR" in line
    assert "could not be read" in line
