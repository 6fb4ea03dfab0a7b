"""The MNIST data layer: the checked mnist.npz, the offline digits stand-in, preprocessing done
once in bench/, and clear one-line errors for a missing or damaged file (also through the CLI)."""

import os
from pathlib import Path

import numpy as np
import pytest
from support import cases

from bench.core.data import batches, files, mnist
from bench.core.errors import BenchError

SHARED = Path(os.environ["BENCH_DATA_DIR"]) if os.environ.get("BENCH_DATA_DIR") else None
HAVE_MNIST = SHARED is not None and (SHARED / "mnist.npz").is_file()
needs_mnist = pytest.mark.skipif(not HAVE_MNIST, reason="mnist.npz not in BENCH_DATA_DIR")


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """No data directory, no Keras cache, no suite cache, no downloads."""
    monkeypatch.delenv("BENCH_DATA_DIR", raising=False)
    monkeypatch.setenv("BENCH_OFFLINE", "1")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BENCH_CACHE_DIR", str(tmp_path / "cache"))  # for cell subprocesses
    monkeypatch.setattr(files, "CACHE", tmp_path / "cache")
    return tmp_path


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty data directory of our own (downloads off), for planting bad files."""
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("BENCH_DATA_DIR", str(d))
    monkeypatch.setenv("BENCH_OFFLINE", "1")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BENCH_CACHE_DIR", str(tmp_path / "cache"))  # for cell subprocesses
    monkeypatch.setattr(files, "CACHE", tmp_path / "cache")
    return d


HP = dict(dataset="auto", data_seed=0, image_size=28, flatten=False, train_limit=0, eval_limit=0)


@needs_mnist
def test_mnist_file_layout_and_content():
    x_tr, y_tr, x_te, y_te = mnist.read_mnist(SHARED / "mnist.npz")
    assert x_tr.shape == (60000, 28, 28) and x_te.shape == (10000, 28, 28) and x_tr.dtype == np.uint8
    assert y_tr[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_te[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(y_te).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert abs(x_tr.mean() / 255 - 0.13066) < 1e-4


@needs_mnist
def test_mnist_preprocessing_28_32_and_flat():
    d28 = mnist.load(dict(HP, dataset="mnist"))
    assert d28.name.startswith("MNIST") and "60000 train / 10000 test" in d28.name
    assert d28.x_train.shape == (60000, 28, 28, 1) and d28.x_train.dtype == np.float32
    assert d28.y_train.dtype == np.int64 and 0.0 <= d28.x_train.min() and d28.x_train.max() == 1.0
    d32 = mnist.load(dict(HP, dataset="mnist", image_size=32, eval_limit=100))
    assert d32.x_eval.shape == (100, 32, 32, 1)
    np.testing.assert_array_equal(d32.x_eval[:, 2:30, 2:30], d28.x_eval[:100])
    border = d32.x_eval.copy()
    border[:, 2:30, 2:30] = 0
    assert not border.any()  # LeNet's 32x32: zero padding of 2 on every side
    flat = mnist.load(dict(HP, dataset="mnist", flatten=True, train_limit=50))
    np.testing.assert_array_equal(flat.x_train, d28.x_train[:50].reshape(50, 784))


def test_same_batches_for_every_backend():
    """The data and the batch order depend only on (hp, seed), never on the backend."""
    a, b = mnist.load(dict(HP, dataset="digits")), mnist.load(dict(HP, dataset="digits"))
    np.testing.assert_array_equal(a.x_train, b.x_train)
    order_a = [i.tolist() for i in batches(a.n_train, 64, np.random.default_rng(3))]
    order_b = [i.tolist() for i in batches(b.n_train, 64, np.random.default_rng(3))]
    assert order_a == order_b


def test_digits_stand_in_looks_like_mnist():
    d = mnist.load(dict(HP, dataset="digits"))
    assert d.x_train.shape == (1500, 28, 28, 1) and d.x_eval.shape == (297, 28, 28, 1)
    assert d.x_train.dtype == np.float32 and d.x_train.min() == 0.0 and d.x_train.max() == 1.0
    assert not d.x_train[:, :2].any() and not d.x_train[:, :, -2:].any()  # the 2-pixel margin
    assert sorted(set(d.y_train.tolist())) == list(range(10))
    assert "digits" in d.name and d.extra["dataset"] == "digits"


def test_auto_falls_back_to_digits_offline(offline):
    d = mnist.load(dict(HP, dataset="auto", image_size=32))
    assert "sklearn digits" in d.name and "mnist.npz not found" in d.name
    assert d.x_train.shape == (1500, 32, 32, 1)


def test_missing_mnist_is_an_error_when_asked_for(offline):
    with pytest.raises(BenchError) as e:
        mnist.load(dict(HP, dataset="mnist"))
    msg = str(e.value)
    assert "mnist.npz" in msg and "BENCH_DATA_DIR" in msg and "BENCH_OFFLINE" in msg
    assert mnist.MNIST_URL in msg and "11,490,434 bytes" in msg
    assert "\n" not in msg


def test_unknown_dataset_name():
    with pytest.raises(BenchError, match="unknown dataset 'fashion'.*auto, digits, mnist"):
        mnist.load(dict(HP, dataset="fashion"))


def _zeros_mnist(path, **changes):
    arrays = {k: np.zeros(shape, dtype) for k, (shape, dtype) in mnist.LAYOUT.items()}
    arrays.update(changes)
    np.savez_compressed(path, **{k: v for k, v in arrays.items() if v is not None})


def _check_bad_file_message(msg, path):
    assert str(path) in msg
    assert "x_train (60000, 28, 28) uint8" in msg and "y_test (10000,) uint8" in msg
    assert mnist.MNIST_URL in msg and "BENCH_DATA_DIR" in msg and "sha256" in msg
    assert "\n" not in msg


@pytest.mark.parametrize("damage", ["truncated", "not_a_zip", "wrong_shape", "missing_key", "bad_labels"])
def test_damaged_file_gives_a_clear_error(data_dir, damage):
    path = data_dir / "mnist.npz"
    if damage in ("truncated", "not_a_zip"):
        _zeros_mnist(path)
        raw = path.read_bytes()
        path.write_bytes(raw[: len(raw) // 2] if damage == "truncated" else b"<html>404</html>")
    elif damage == "wrong_shape":
        _zeros_mnist(path, x_train=np.zeros((600, 28, 28), np.uint8))
    elif damage == "missing_key":
        _zeros_mnist(path, y_test=None)
    else:
        _zeros_mnist(path, y_train=np.full(60000, 11, np.uint8))
    for dataset in ("mnist", "auto"):  # a damaged file is never silently replaced by the digits
        with pytest.raises(BenchError) as e:
            mnist.load(dict(HP, dataset=dataset))
        _check_bad_file_message(str(e.value), path)


def test_cli_reports_missing_and_damaged_file_in_one_line(data_dir, tmp_path, capsys):
    import bench.cli.main

    out_dir = tmp_path / "results"
    argv = [
        "run",
        "--algo",
        "mlp",
        "--backend",
        "torch",
        "--set",
        "dataset=mnist",
        "--results-dir",
        str(out_dir),
        "--no-progress",
        "--no-history",
        "--timeout",
        "300",
    ]
    # missing, downloads off: the cell is skipped before it starts, with the fix; no cell ran: exit 1
    assert bench.cli.main.main(argv) == bench.cli.main.EXIT_FAILED_CELLS
    cap = capsys.readouterr()
    err = cap.out + cap.err
    assert "skipped 1 cell(s): MNIST is not here (downloads are off (BENCH_OFFLINE=1)): mlp x torch" in err
    assert "fix: run 'bench data fetch mnist' when online" in err and "put mnist.npz (11,490,434 bytes)" in err
    assert "Traceback" not in err and not list(out_dir.glob("*.json"))

    (data_dir / "mnist.npz").write_bytes(b"truncated")
    assert bench.cli.main.main(argv) == bench.cli.main.EXIT_FAILED_CELLS
    cap = capsys.readouterr()
    err = cap.out + cap.err
    assert "is not a usable MNIST file" in err and "x_train (60000, 28, 28) uint8" in err
    assert "Traceback" not in err


# One backend per model in the default run (the three together cover all three backends);
# every combination with --runslow. Accuracy floors are well below what is observed on the
# digits' 297 test images (mlp 86.5%, metrics_cnn 98.0%, lenet5 93%) and far above chance.
OFFLINE_FLOOR = {"mlp": 0.75, "metrics_cnn": 0.85, "lenet5": 0.8}
OFFLINE_CELLS = [("mlp", "keras"), ("metrics_cnn", "tf"), ("lenet5", "torch")]
OFFLINE_SLOW = [(a, b) for a, b in cases(reference=False) if a in OFFLINE_FLOOR and (a, b) not in OFFLINE_CELLS]


def _quick_offline(algo, backend):
    """In a fresh process, as ``bench run`` does (TensorFlow's threads can only be configured
    before its runtime starts, and other tests in this process may have started it)."""
    from bench.config import RunConfig
    from bench.execute.matrix import spawn

    r = spawn(RunConfig.create(algo, backend, budget="quick"), timeout_s=900)
    assert r.status == "ok", r.error
    assert r.dataset.startswith("sklearn digits") and "mnist.npz not found" in r.dataset
    assert r.metrics["accuracy"] >= OFFLINE_FLOOR[algo], r.metrics
    assert 0 < r.metrics["test_loss"] < 2.0
    assert r.steps <= 300 and r.throughput["median"] > 0


@pytest.mark.parametrize("algo,backend", OFFLINE_CELLS)
def test_quick_budget_runs_offline_on_the_digits(offline, algo, backend):
    _quick_offline(algo, backend)


@pytest.mark.slow
@pytest.mark.parametrize("algo,backend", OFFLINE_SLOW)
def test_quick_budget_runs_offline_every_backend(offline, algo, backend):
    _quick_offline(algo, backend)
