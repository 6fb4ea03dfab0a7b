"""RL throughput per backend through pytest-benchmark (run with ``pytest --benchmark-only``):
gradient updates/s, action-selection latency for one observation, and env steps/s of the
training loop. Grouped by algorithm and measurement so the backends sit side by side; the
config card and the quick-budget quality go into ``extra_info``."""

import pytest
from rl_support import CELLS_RL, Agent, rounds

pytestmark = pytest.mark.filterwarnings("ignore")
IDS = [f"{a}-{b}" for a, b in CELLS_RL]


@pytest.mark.parametrize("algo,backend", CELLS_RL, ids=IDS)
def test_rl_update(benchmark, algo, backend):
    agent = Agent(algo, backend)
    benchmark.group = f"{algo} update"
    benchmark.extra_info.update(agent.info(), **agent.quality())
    benchmark.pedantic(agent.update_fn(), **rounds(30))
    benchmark.extra_info["updates_per_s_median"] = 1.0 / benchmark.stats.stats.median


@pytest.mark.parametrize("algo,backend", CELLS_RL, ids=IDS)
def test_rl_action_latency(benchmark, algo, backend):
    agent = Agent(algo, backend, fill=64)
    benchmark.group = f"{algo} action latency (batch 1)"
    benchmark.extra_info.update(agent.info())
    benchmark.pedantic(agent.act_fn(), **rounds(50))
    benchmark.extra_info["latency_s_median"] = benchmark.stats.stats.median


@pytest.mark.parametrize("algo,backend", CELLS_RL, ids=IDS)
def test_rl_env_steps(benchmark, algo, backend):
    agent = Agent(algo, backend)
    benchmark.group = f"{algo} training loop"
    benchmark.extra_info.update(agent.info())
    benchmark.pedantic(agent.loop_step_fn(), **rounds(30))
    benchmark.extra_info["env_steps_per_s_median"] = 1.0 / benchmark.stats.stats.median
