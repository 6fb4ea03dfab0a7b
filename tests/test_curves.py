"""bench.reporting.curves: pairing on (backend, device, seed), counts at shared epochs, seed means, errors."""

import pytest

from bench.cli.main import main
from bench.reporting import curves
from bench.reporting.schema import Result
from bench.reporting.store import load_dir, save


def _run(tmp_path, algo, backend, seed, values, status="ok", params=10):
    curve = [{"epoch": 2 * i, "val_acc": v} for i, v in enumerate(values)]
    save(
        Result(
            algo=algo,
            backend=backend,
            device="cpu",
            seed=seed,
            budget="full",
            status=status,
            curve=curve,
            metrics={"params": params},
        ),
        tmp_path,
    )


def test_pairs_counts_and_seed_means(tmp_path):
    _run(tmp_path, "a", "tf", 0, [0.5, 0.7, 0.6, 0.8], params=3)
    _run(tmp_path, "b", "tf", 0, [0.5, 0.6, 0.7, 0.7], params=9)
    _run(tmp_path, "a", "tf", 1, [0.5, 0.5, 0.9, 0.9])
    _run(tmp_path, "b", "tf", 1, [0.6, 0.6, 0.6, 0.6])
    _run(tmp_path, "a", "torch", 0, [0.1, 0.2, 0.3, 0.4])  # no B run: not paired
    _run(tmp_path, "b", "torch", 1, [0.1, 0.2, 0.3, 0.4], status="timeout")
    cmp = curves.compare(load_dir(tmp_path), "a", "b", "val_acc", from_epoch=2)
    by_seed = {p["seed"]: p for p in cmp["pairs"]}
    assert [(p["backend"], p["seed"]) for p in cmp["pairs"]] == [("tf", 0), ("tf", 1)]
    assert by_seed[0]["epochs"] == [2, 4, 6] and by_seed[0]["a_ge_b"] == 2  # 0.7>=0.6, 0.6<0.7, 0.8>=0.7
    assert by_seed[0]["last"] == (0.8, 0.7) and by_seed[0]["params"] == (3, 9)
    assert by_seed[1]["a_ge_b"] == 2 and by_seed[1]["best"] == (0.9, 0.6)
    (tf,) = cmp["backends"]
    # means at epochs 2, 4, 6: A .60 .75 .85, B .60 .65 .65
    assert tf["seeds"] == [0, 1] and tf["a_ge_b"] == 3 and tf["last"] == pytest.approx((0.85, 0.65))
    assert "| tf | 0 | 2/3 (epochs 2-6)" in curves.markdown(cmp, "a", "b", "val_acc")


def test_clear_errors(tmp_path, capsys):
    _run(tmp_path, "a", "tf", 0, [0.5, 0.7])
    assert main(["curves", "a", "b", str(tmp_path), "--metric", "val_acc"]) == 2
    assert "no (backend, device, seed) has finished runs of both a and b" in capsys.readouterr().err
    _run(tmp_path, "b", "tf", 0, [0.5, 0.7])
    assert main(["curves", "a", "b", str(tmp_path), "--metric", "train_acc"]) == 2
    assert "no 'train_acc' in its curve" in capsys.readouterr().err
    assert main(["curves", "a", "b", str(tmp_path), "--metric", "val_acc"]) == 0
