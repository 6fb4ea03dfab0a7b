"""RL throughput per backend through pytest-benchmark (run with ``pytest --benchmark-only``):
gradient updates/s, action-selection latency for one observation, and env steps/s of the
training loop. Grouped by algorithm and measurement so the backends sit side by side; the
config card and the quick-budget quality go into ``extra_info``."""

import pytest
from rl_support import CELLS_RL, CELLS_RL_MODES, Agent, rounds

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


# every mode and precision: grouped by (algorithm, backend, measurement), so that the modes of
# one backend sit together; the first call (trace/compile) is timed on its own, and the number
# of compilations during the timed rounds goes into extra_info (it should be 0)
MODE_IDS = [f"{a}-{b}-{m}-{p}" for a, b, m, p in CELLS_RL_MODES]


def _modes_run(benchmark, agent, fn, n):
    from bench.core import compiles

    benchmark.extra_info.update(agent.info(), compile_s=agent.first_call_s(fn))
    count = compiles.counter(agent.cell.backend, agent.learner)
    before = count() if count else None
    benchmark.pedantic(fn, **rounds(n))
    benchmark.extra_info["recompiles_timed"] = count() - before if count else None


@pytest.mark.parametrize("algo,backend,mode,precision", CELLS_RL_MODES, ids=MODE_IDS)
def test_rl_update_modes(benchmark, algo, backend, mode, precision):
    agent = Agent(algo, backend, mode=mode, precision=precision, fill=256)
    benchmark.group = f"{algo} {backend} update: modes x precisions"
    _modes_run(benchmark, agent, agent.update_fn(), 30)
    benchmark.extra_info["updates_per_s_median"] = 1.0 / benchmark.stats.stats.median


@pytest.mark.parametrize("algo,backend,mode,precision", CELLS_RL_MODES, ids=MODE_IDS)
def test_rl_action_latency_modes(benchmark, algo, backend, mode, precision):
    agent = Agent(algo, backend, mode=mode, precision=precision, fill=64)
    benchmark.group = f"{algo} {backend} action latency (batch 1): modes x precisions"
    _modes_run(benchmark, agent, agent.act_fn(), 50)
    benchmark.extra_info["latency_s_median"] = benchmark.stats.stats.median
