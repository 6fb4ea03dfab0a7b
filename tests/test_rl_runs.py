"""RL cells end to end through the runner: every RL spec's quick budget runs (PyTorch, the
fastest to start), a NaN loss is recorded as diverged, the matrix continues after it, an
environment that does not fit the network is one line before any cell starts, and the tuned
Double DQN learns CartPole (slow)."""

import pytest

from bench import specs
from bench.config import RunConfig
from bench.train.runner import measure_cell

pytestmark = pytest.mark.filterwarnings("ignore")
CARTPOLE = [n for n, s in specs.all_specs().items() if s.kind == "rl" and "atari" not in n]


@pytest.mark.parametrize("algo", CARTPOLE)
def test_quick_budget_runs_end_to_end(algo):
    r = measure_cell(RunConfig.create(algo, "torch", budget="quick", threads=1))
    assert r.status == "ok", r.log
    # REINFORCE trains on whole episodes, so it may finish the last one past the budget
    assert r.hparams["total_steps"] <= r.steps < r.hparams["total_steps"] + 500 and r.metric == "eval_return"
    assert len(r.curve) == 3 and all("eval_return" in p for p in r.curve)
    assert r.throughput["unit"] == "env steps/s" and r.throughput["n"] == 2
    assert r.metrics["updates"] > 0 and r.metrics["updates_per_s"] > 0 and r.compile_s > 0
    assert r.card["backend"] == "torch"
    assert 8 <= r.metrics["eval_return"] <= (500 if "v1" in r.dataset else 200)


def test_nan_loss_is_recorded_as_diverged(monkeypatch):
    monkeypatch.setenv("BENCH_FAULT", "nan@5")
    for algo in ("double_dqn", "reinforce"):
        r = measure_cell(RunConfig.create(algo, "torch", budget="quick", threads=1))
        assert r.status == "diverged", (algo, r.status, r.error)
        assert "nan" in r.error and r.curve[-1]["loss"] != r.curve[-1]["loss"]


def test_matrix_continues_after_a_diverged_cell(tmp_path, monkeypatch):
    from bench.execute.matrix import execute_cells

    monkeypatch.setenv("BENCH_FAULT", "nan@5")
    cells = [
        RunConfig.create("double_dqn", "torch", budget="quick", threads=1),
        RunConfig.create("reinforce", "torch", budget="quick", threads=1),
    ]
    done = execute_cells(cells, tmp_path, timeout_s=600)
    assert [r.status for r in done] == ["diverged", "diverged"]
    assert len(list(tmp_path.glob("*.json"))) == 2


@pytest.mark.parametrize(
    "setting, message",
    [
        (
            "env_id=ALE/SpaceInvaders-v5",
            "double_dqn's network takes observations of shape (4,) and 2 actions, but "
            "ALE/SpaceInvaders-v5 gives observations of shape (210, 160) and 6 actions",
        ),
        ("env_id=CartPole-v9", "unknown environment id 'CartPole-v9'"),
    ],
)
def test_mismatched_environment_is_one_line_before_any_cell_starts(setting, message, tmp_path, capsys):
    from bench.cli.main import main

    code = main(
        ["run", "--algo", "double_dqn", "--backend", "torch", "--set", setting, "--results-dir", str(tmp_path)]
        + ["--no-progress", "--no-history"]
    )
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert not list(tmp_path.iterdir())  # no cell ran, nothing was written


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["torch", "tf", "keras"])
def test_tuned_double_dqn_solves_cartpole(backend):
    r = measure_cell(RunConfig.create("double_dqn", backend, budget="full", threads=1))
    assert r.status == "ok" and r.target_reached, (r.metrics, r.curve[-3:])
