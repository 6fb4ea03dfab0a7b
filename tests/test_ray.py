"""The Ray executor on a real Ray cluster on this machine.

The tests start their own clusters, so that a clean checkout needs no service running and no
network: a two-node cluster (``ray.cluster_utils.Cluster``: one GCS, two raylets, 2 CPUs and the
suite's node resource each) for the module, and the local cluster that ``bench run --executor
ray`` starts when given no address. Each keeps its files under a temporary directory of its own,
and the tests check that no process of either is left once it is shut down.

Cells use tiny settings of linreg, mle_normal and mle_hetero on numpy and PyTorch, which are deterministic:
the Ray executor must give the local executor's quality metrics and curves bit for bit.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from support import sigint_default

from bench.cli.main import main
from bench.config import RunConfig
from bench.core.data import files
from bench.core.errors import BenchError
from bench.execute.matrix import execute_cells, finished
from bench.execute.ray_cluster import RESOURCE, RayExecutor, _node_data_problem
from bench.reporting import store as results

ROOT = Path(__file__).resolve().parent.parent
TINY = {"epochs": "30", "eval_every": "10"}
# one PyTorch cell (its import costs seconds), three numpy references
CELLS = [("linreg", "numpy"), ("linreg", "torch"), ("mle_normal", "numpy"), ("mle_hetero", "numpy")]


def _cmdlines() -> dict[int, str]:
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                out[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
    return out


def _left_behind(temp_dir: str | None, timeout_s: float = 20.0) -> list[str]:
    """The processes still running from the Ray cluster kept in ``temp_dir`` (its GCS, raylets,
    agents; None: none of these) and the workers of this suite's tasks (process title
    ``ray::bench:...``), after waiting up to ``timeout_s`` for them to end."""
    deadline = time.time() + timeout_s
    while True:
        left = [c for c in _cmdlines().values() if (temp_dir and temp_dir in c) or c.startswith("ray::bench:")]
        if not left or time.time() > deadline:
            return left
        time.sleep(0.5)


@pytest.fixture(scope="module")
def cluster():
    """Two Ray nodes on this machine, shut down (every process gone) after the module."""
    from ray.cluster_utils import Cluster

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    temp_dir = tempfile.mkdtemp(prefix="rayt")  # short: Ray's socket paths live under it
    # Ray's cluster utility writes the address of the newest cluster into its default folder, which it
    # does not make itself (on a fresh machine no Ray has run yet): made here
    Path(tempfile.gettempdir(), "ray").mkdir(exist_ok=True)
    node = {"num_cpus": 2, "resources": {RESOURCE: 1}, "object_store_memory": 100 * 2**20}
    c = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False, "temp_dir": temp_dir})
    try:
        c.add_node(**node)
        c.wait_for_nodes()
        yield c
    finally:
        c.shutdown()
        left = _left_behind(temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)
        assert not left, f"Ray processes left behind: {left}"


def _cells(executor: str, exclusive: bool, which=CELLS) -> list[RunConfig]:
    return [
        RunConfig.create(a, b, overrides=TINY, executor=executor, exclusive=exclusive, seed=s)
        for s in (0,)
        for a, b in which
    ]


def _on_ray(address, cells, out_dir, timeout_s=120):
    ex = RayExecutor(address)
    try:
        return execute_cells(cells, out_dir, timeout_s, executor=ex)
    finally:
        ex.close()


@pytest.fixture(scope="module")
def speed_run(cluster, tmp_path_factory):
    """The four cells as speed cells on the two-node cluster, and the same cells run locally."""
    base = tmp_path_factory.mktemp("speed")
    on_ray = _on_ray(cluster.address, _cells("ray", True), base / "ray")
    local = execute_cells(_cells("local", True), base / "local", timeout_s=120)
    return on_ray, local, base


def test_two_nodes_run_the_matrix_with_the_local_executors_results_bit_for_bit(speed_run):
    on_ray, local, base = speed_run
    assert [r.status for r in on_ray] == ["ok"] * 4, [r.error for r in on_ray]
    assert len({r.card.placement["node_id"] for r in on_ray}) == 2  # both nodes ran cells
    assert all(r.card.placement["executor"] == "ray" and r.card.placement["exclusive"] for r in on_ray)
    by_cell = {(r.algo, r.backend): r for r in local}
    for r in on_ray:
        mine = by_cell[(r.algo, r.backend)]
        assert r.metrics == mine.metrics, (r.algo, r.backend)  # exact: every cell here is deterministic
        assert [p.loss for p in r.curve] == [p.loss for p in mine.curve]
        assert [p.metrics for p in r.curve] == [p.metrics for p in mine.curve]
    saved = results.load_dir(base / "ray")  # written atomically as each ended
    assert sorted(r.run_id for r in saved) == sorted(r.run_id for r in on_ray)
    assert all(finished(_cells("ray", True), base / "ray"))  # what `bench run --resume` would skip


def test_a_speed_cell_never_shares_its_node(speed_run):
    on_ray, _, _ = speed_run
    spans: dict[str, list[tuple[float, float]]] = {}
    for r in on_ray:
        spans.setdefault(r.card.placement["node_id"], []).append((r.started_at, r.started_at + r.wall_s))
    for node, times in spans.items():
        times.sort()
        for (_, end), (start, _) in zip(times, times[1:]):
            assert start >= end, f"two speed cells ran at once on node {node}: {times}"


def _kill_when_running(title: str, after_s: float, killed: list) -> None:
    """SIGKILL the Ray worker whose process title is ``title`` once it has run ``after_s``."""
    deadline, seen = time.time() + 90, None
    while time.time() < deadline:
        pids = [pid for pid, cmd in _cmdlines().items() if cmd.strip() == title]
        if pids and seen is None:
            seen = time.time()
        if pids and time.time() - seen >= after_s:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])
            return
        time.sleep(0.1)


def test_a_killed_worker_is_recorded_as_lost_and_retried_and_the_rest_completes(cluster, tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_FAULT", "slow:mle_normal=0.1")  # that cell takes 3 s: time to kill it
    cells = _cells("ray", False, [("linreg", "numpy"), ("mle_normal", "numpy")])
    killed: list[int] = []
    killer = threading.Thread(target=_kill_when_running, args=(f"ray::bench:{cells[1].label}", 1.0, killed))
    killer.start()
    done = _on_ray(cluster.address, cells, tmp_path)
    killer.join()
    assert killed, "the mle_normal cell's worker was never seen running"
    statuses = sorted((r.algo, r.status) for r in done)
    assert statuses == [("linreg", "ok"), ("mle_normal", "lost"), ("mle_normal", "ok")], [
        (r.algo, r.backend, r.status, r.error) for r in done
    ]
    lost = next(r for r in done if r.status == "lost")
    assert "died" in lost.error and "runs again" in lost.error
    assert sorted(r.status for r in results.load_dir(tmp_path)) == ["lost", "ok", "ok"]
    assert all(r.card.placement["exclusive"] is False for r in done if r.status == "ok")  # quality only: packed


def test_a_cell_past_the_timeout_is_recorded_as_such_its_worker_killed_and_the_rest_completes(
    cluster, tmp_path, monkeypatch
):
    monkeypatch.setenv("BENCH_FAULT", "hang:mle_normal@2")  # the cell runs in the worker: the driver's timeout
    cells = _cells("ray", False, [("mle_normal", "numpy"), ("linreg", "numpy")])
    t0 = time.time()
    done = _on_ray(cluster.address, cells, tmp_path, timeout_s=8)
    assert time.time() - t0 < 60
    by_algo = {r.algo: r for r in done}
    assert by_algo["linreg"].status == "ok"
    hung = by_algo["mle_normal"]
    assert hung.status == "timeout" and "8 s timeout" in hung.error and hung.wall_s >= 8
    deadline = time.time() + 20  # its worker is killed, not left hanging
    while any(cmd.strip() == f"ray::bench:{cells[0].label}" for cmd in _cmdlines().values()):
        assert time.time() < deadline, "the timed-out cell's worker is still running"
        time.sleep(0.2)


def test_a_cluster_without_a_gpu_refuses_device_gpu(cluster, tmp_path, capsys):
    code = main(
        [
            "run",
            "--executor",
            "ray",
            "--ray-address",
            cluster.address,
            "--device",
            "gpu",
            "--algo",
            "linreg",
            "--backend",
            "torch",
            "--results-dir",
            str(tmp_path / "runs"),
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert f"--device gpu: the Ray cluster at {cluster.address} has no GPU" in err and "--device cpu" in err
    assert not (tmp_path / "runs").exists()


def test_the_embedded_default_starts_a_local_cluster_offline_and_leaves_nothing(tmp_path):
    """``bench run --executor ray`` with no address, as on a fresh install: no network, no
    cluster running; it starts one, runs, stops it."""
    temp_dir = tempfile.mkdtemp(prefix="raye")
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env.update(BENCH_OFFLINE="1", RAY_TMPDIR=temp_dir, PYTHONPATH=str(ROOT))
    out = tmp_path / "runs"
    argv = [
        "run",
        "--executor",
        "ray",
        "--algo",
        "linreg",
        "--backend",
        "numpy",
        "--set",
        "epochs=20",
        "--set",
        "eval_every=5",
        "--results-dir",
        str(out),
        "--no-progress",
    ]
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bench", *argv],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "Ray: the local Ray cluster, started in" in proc.stderr
        (r,) = results.load_dir(out)
        assert r.status == "ok" and r.card.placement["executor"] == "ray" and r.card.placement["exclusive"]
        assert not _left_behind(temp_dir)
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)


def _json_files(d: Path) -> list[Path]:
    return sorted(d.glob("*.json")) if d.is_dir() else []


def test_ctrl_c_cancels_the_tasks_and_keeps_what_finished(cluster, tmp_path):
    """A 4-cell quality-only run on the cluster is interrupted (SIGINT) once its 2 linreg cells
    have ended, while the mle_normal cells hang: exit 130, the 2 results kept, no task left
    running. (--resume then skips them as for the local executor: the same code, before the
    executor; tests/test_bad_input.py.)"""
    runs = tmp_path / "runs"
    argv = ["run", "--executor", "ray", "--ray-address", cluster.address, "--quality-only"]
    argv += "--algo linreg,mle_normal --backend numpy --seeds 2 --set epochs=20 --set eval_every=5".split()
    argv += ["--results-dir", str(runs), "--no-progress"]
    env = dict(os.environ, BENCH_FAULT="hang:mle_normal", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench", *argv],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=sigint_default,
    )
    deadline = time.time() + 120
    while time.time() < deadline and len(_json_files(runs)) < 2:
        time.sleep(0.2)
    assert len(_json_files(runs)) == 2
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted with 2 of 4 cells not run; the 2 that finished are kept" in err and "Traceback" not in err
    assert sorted(r.algo for r in results.load_dir(runs)) == ["linreg"] * 2
    assert not _left_behind(None)  # the hung cells' tasks were cancelled: no ray::bench: worker left


def test_a_node_without_the_dataset_gives_its_cell_a_message(cluster, tmp_path, monkeypatch):
    """The data directory (BENCH_DATA_DIR travels to the tasks) has no CIFAR-10 on the nodes: the
    resnet10 cell is skipped, with the node and the fix named, and no cell process starts."""
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("BENCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BENCH_CACHE_DIR", str(tmp_path / "cache"))
    cells = [RunConfig.create("resnet10", "torch", executor="ray", exclusive=False)]
    done = {r.algo: r for r in _on_ray(cluster.address, cells, tmp_path / "runs")}
    assert done["resnet10"].status == "skipped" and results.load_dir(tmp_path / "runs")[0].status == "skipped"
    assert f"CIFAR-10 is not on node {socket.gethostname()} (looked in {tmp_path / 'data'}" in done["resnet10"].error
    assert "bench data fetch cifar10" in done["resnet10"].error


def test_a_damaged_copy_on_the_node_is_named_with_its_checksum(tmp_path, monkeypatch):
    (tmp_path / "cifar10_subset.npz").write_bytes(b"not the CIFAR-10 subset")
    monkeypatch.setenv("BENCH_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(files, "CACHE", tmp_path / "cache")
    problem = _node_data_problem(RunConfig.create("resnet10", "torch", executor="ray"))
    assert problem.startswith(f"CIFAR-10 at {tmp_path / 'cifar10_subset.npz'} on node {socket.gethostname()}")
    assert "does not match its checksum" in problem and "bench data fetch cifar10" in problem


def test_a_cluster_without_the_node_resource_or_room_for_a_cell_is_refused():
    """Checked against the cluster's node table before any cell (here a stand-in table)."""
    ex = RayExecutor(None)  # nothing starts until the cluster is asked for
    ex.nodes = lambda: [{"Alive": True, "NodeManagerAddress": "10.0.0.7", "Resources": {"CPU": 8.0}}]
    with pytest.raises(BenchError, match=f"no node has the resource '{RESOURCE}'.*--resources="):
        ex.check(_cells("ray", True, CELLS[:1]))
    ex.nodes = lambda: [{"Alive": True, "Resources": {"CPU": 2.0, RESOURCE: 1.0}}]
    big = RunConfig.create("linreg", "numpy", overrides=TINY, threads=4, executor="ray")
    with pytest.raises(BenchError, match="asks for 4 threads, but the largest node .* has 2 CPUs"):
        ex.check([big])
    ex.check(_cells("ray", True, CELLS[:1]))  # room enough
