"""Runs one cell (a :class:`bench.config.RunConfig`) in this process -> a Result.

:mod:`bench.execute.matrix` calls this in a fresh subprocess per cell; tests and the pytest-benchmark
suite call :func:`prepare` directly.
"""

from __future__ import annotations

import importlib
import time
import traceback
from dataclasses import dataclass

from bench import specs
from bench.config import RunConfig
from bench.core import backends, faults, machine_load as load, modes
from bench.core.card import config_card
from bench.core.initial_weights import initial_weights
from bench.core.pretrained import save_checkpoint
from bench.core.probe import cpu_probe, normalise
from bench.reporting.schema import ConfigCard, Result
from bench.reporting.tensorboard import CurveLogger
from bench.specs import registry
from bench.train import measurements

# spec.kind -> the module whose ``train(...)`` runs it
DRIVERS = {"supervised": "bench.train.supervised", "rl": "bench.train.rl", "prediction": "bench.train.value"}


@dataclass
class Prepared:
    spec: specs.Spec
    hp: dict
    session: backends.Session
    data: object
    learner: object
    weights_source: str | None = None  # the pretrained weights set into the learner, if any


def build_learner(spec, hp, backend, seed, device="cpu", with_source=False, mode=None, precision=None):
    """A learner with the canonical initial weights of (spec, seed) set into it, and the spec's
    pretrained weights over them (``with_source``: also return their description). The learner's
    settings carry the execution axes (``mode``: None for the backend's default; ``precision``),
    as bench.core.interface describes."""
    axes = modes.learner_axes(backend, mode, precision)
    learner = registry.implementation(spec.name, backend)({**hp, **axes}, seed, device)
    shapes = {k: v.shape for k, v in learner.get_weights().items()}
    weights, source = initial_weights(shapes, seed, spec.init, hp), None
    if spec.pretrained is not None:
        pre, source = spec.pretrained(hp)
        weights.update({k: v for k, v in pre.items() if k in weights})
    learner.set_weights(weights)
    return (learner, source) if with_source else learner


def prepare(cell: RunConfig) -> Prepared:
    """Set the backend up and build the cell's data and learner from its resolved settings
    (the configuration was validated when it was created; nothing is resolved again here)."""
    spec, hp = cell.spec, cell.hp
    session = backends.setup(cell.backend, cell.device, cell.seed, cell.threads, cell.deterministic, cell.engine)
    data = spec.load_data(hp, cell.seed)
    learner, source = build_learner(
        spec, hp, cell.backend, cell.seed, cell.device, with_source=True, mode=cell.mode, precision=cell.precision
    )
    return Prepared(spec, hp, session, data, learner, source)


def context(p: Prepared) -> measurements.Context:
    """What a measurement sees of a prepared cell."""
    return measurements.Context(p.learner, p.data, p.hp, p.spec, p.session.sync)


def card_of(cell: RunConfig, p: Prepared) -> ConfigCard:
    """The config card of a prepared cell, the one place its facts are written: the library
    versions, device and threads of the session, the learner's facts, and the run's execution axes
    (so that ``bench run --resume`` and the report know the configuration)."""
    card = ConfigCard.from_dict(config_card(cell.backend, p.session.facts, p.learner.describe()))
    card.facts["run_config"] = {"mode": cell.mode, "precision": cell.precision, "engine": cell.engine}
    return card


def measure_cell(cell: RunConfig, on_eval=None) -> Result:
    t0 = time.perf_counter()
    result = Result(cell.algo, cell.name, cell.device, cell.seed, cell.budget, overrides=dict(cell.overrides))
    logger, probes = None, []
    try:
        if cell.probe:
            on_eval = _chain(lambda point: probes.append(cpu_probe()), on_eval)
        if cell.tensorboard:
            logger = CurveLogger(cell.tensorboard, cell.algo, cell.name, cell.device, cell.seed, cell.budget)
            on_eval = _chain(logger, on_eval)
        load_start = load.snapshot()
        p = prepare(cell)
        if logger:
            logger.metric, logger.kind = p.spec.metric, p.spec.kind
        result.metric, result.target, result.hparams, result.kind = p.spec.metric, p.spec.target, p.hp, p.spec.kind
        result.dataset = getattr(p.data, "name", None)
        if p.weights_source:
            result.dataset = f"{result.dataset}; pretrained weights: {p.weights_source}"
        result.card = card_of(cell, p)
        driver = importlib.import_module(DRIVERS[p.spec.kind])
        step = faults.wrap(p.learner.train_step, cell.backend, cell.algo)
        out = driver.train(p.spec, p.learner, p.data, p.hp, cell.seed, p.session.sync, step, on_eval, cell.backend)
        result.card.stalls = out.pop("stalls", None)
        result.card.facts["compiles"] = out.pop("compiles", None)
        for key, value in out.items():
            setattr(result, key, value)
        if result.status == "ok":  # the kinds of measurement beyond the training's own (bench.train.measurements)
            result.measurements = measurements.after_training(context(p))
        result.card.load = load.summarise(load_start, load.snapshot())
        if cell.save_weights and result.status == "ok":
            save_checkpoint(
                cell.save_weights,
                p.learner.get_weights(),
                {
                    "spec": cell.algo,
                    "backend": cell.name,
                    "seed": cell.seed,
                    "budget": cell.budget,
                    "overrides": dict(cell.overrides),
                    "metrics": result.metrics,
                    "run_id": result.run_id,
                    "dataset": result.dataset,
                    "commit": result.card.commit,
                },
            )
        if probes and result.status == "ok" and result.throughput.values:
            result.throughput.probe = probes
            result.throughput.normalized = normalise(result.throughput.values, probes)
    except Exception as exc:  # a failed cell is a result, not a crash of the matrix
        result.status = "failed"
        result.error = f"{type(exc).__name__}: {exc}".strip()
        result.log = traceback.format_exc(limit=-8)
    if logger:
        logger.finish(result)
    result.wall_s = time.perf_counter() - t0
    return result


def _chain(first, second):
    if second is None:
        return first

    def both(point):
        first(point)
        second(point)

    return both
