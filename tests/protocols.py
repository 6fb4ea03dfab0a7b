"""Parity protocols: how a learner is run so that every backend's outputs can be held against a
reference backend's (tests/test_generated.py runs them for every (algorithm, backend) of the
registry).

A :class:`Protocol` applies to the specs of some kinds and says

* ``settings``: the setting changes, over the quick budget, that make the backends comparable
  (dropout off: the frameworks draw different masks);
* ``steps``: how many training steps run from the canonical initial weights, every one on the
  same batch, so that the loss after each step differs from the one before only by the update;
* ``checks``: which output is compared under which of the spec's tolerances. A tolerance's name
  says how it is applied: ``*_atol`` absolute, ``*_rtol`` relative. Tolerances come only from
  ``Spec.tolerances``; a spec that lacks a key its protocols need fails with a message saying
  that the spec must state it (and tests/test_specs_and_init.py requires the keys per kind).

The outputs of one run are a :class:`bench.train.parity.Outcome` (the runs themselves are
bench/train/parity.py's, which the quick tour runs too).

Adding a protocol, e.g. ten plain-SGD steps or twenty steps of the spec's own optimizer, is one
more entry in :data:`PROTOCOLS` (its settings, its number of steps and the tolerance key each
output is held to); the generated tests and the completeness test pick it up.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import pickle
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
from support import build, reference_backend, settings

from bench import specs
from bench.core.backends import parse_label
from bench.train.parity import (
    Outcome,
    comparable,
    forward_key,
    run_prediction,
    run_rl,
    run_supervised,
)


@dataclass(frozen=True)
class Protocol:
    name: str
    kinds: tuple[str, ...]
    steps: int
    # spec -> {output: tolerance key}
    checks: Callable[[specs.Spec], Mapping[str, str]]
    # resolved quick-budget settings -> setting changes for this protocol
    settings: Callable[[Mapping], Mapping] = field(default=lambda hp: {})
    # spec -> whether every backend starts every step from the reference backend's weights and
    # moving statistics after its previous step (a stateless optimizer only), so that each step
    # is compared from identical weights instead of compounding the differences of the last
    resync: Callable[[specs.Spec], bool] = field(default=lambda spec: False)
    # supervised: every step on the next batch of the training data (cycling) instead of one batch
    # again and again, so that the net does not learn the batch and its loss stays of the first's size
    fresh: bool = False
    # spec -> why the protocol cannot compare it (the test is reported as skipped with this), or None
    skip: Callable[[specs.Spec], str | None] = field(default=lambda spec: None)


def sgd(hp: Mapping) -> dict:
    """Plain SGD at the spec's learning rate, dropout off (a spec with no ``optimizer`` setting,
    linear regression, trains by plain gradient descent already)."""
    return {**comparable(hp), **({"optimizer": "sgd"} if "optimizer" in hp else {})}


def has_batchnorm(spec: specs.Spec) -> bool:
    """Whether the spec's net has BatchNorm layers that train (moving statistics in its weights)."""
    return spec.name in BATCHNORM


# the nets whose BatchNorm layers train; tests/test_generated.py checks this set against the
# canonical weights (a moving_mean appears exactly in these) so that it cannot go stale
BATCHNORM = frozenset({"metrics_cnn", "gap_head_fc", "gap_head_fc_dropout", "gap_head_gap", "transfer_scratch"})
BATCHNORM |= {"resnet10", "plain10", "resnet50_cifar10"}


def sgd_checks(spec: specs.Spec) -> dict:
    if has_batchnorm(spec):
        return {"losses": "sgd_step_loss_rtol", "moving": "sgd_step_moving_atol"}
    return {"losses": "sgd_loss_rtol"}


# the forward pass at the canonical initial weights and the losses of the first two steps
FIRST_STEPS = Protocol(
    "first_steps",
    ("supervised", "rl"),
    steps=2,
    settings=comparable,
    checks=lambda spec: {"forward": forward_key(spec), "losses": "loss_rtol"},
)
# ten plain-SGD steps at the spec's learning rate, where rounding noise is not amplified by an
# adaptive step: losses, and for a BatchNorm net (resynchronised every step) the moving statistics
SGD_STEPS = Protocol("sgd_steps", ("supervised",), steps=10, settings=sgd, checks=sgd_checks, resync=has_batchnorm)


def own_checks(spec: specs.Spec) -> dict:
    """Supervised: the losses. RL: the outputs after the updates (Q-values or probabilities), and
    a Q-learner's losses (a policy-gradient loss crosses zero, where a relative gap means nothing)."""
    if spec.kind != "rl":
        return {"losses": "own_loss_rtol"}
    after = {"after": forward_key(spec)}
    return after if spec.module == "reinforce" else {**after, "losses": "own_loss_rtol"}


# the nets whose free-running Adam trajectories part as far from a 1e-7 perturbation of themselves
# as across backends, so that no tolerance on them could both pass and fail; their per-step rule
# is held by SGD_STEPS (resynchronised) and FIRST_STEPS. Measured in the own_steps protocol (seed 0,
# tests/protocols.py's batches): docs/parity.md.
CHAOTIC = {
    "resnet10": "free-running, the 10-block ResNet parts from itself under a 1e-7 kernel perturbation by "
    "4.3e-2 in these losses, across backends by 6.2e-2 (PyTorch) and 7.6e-2 (Keras)",
    "plain10": "free-running, the 10-block plain net parts from itself under a 1e-7 kernel perturbation by "
    "9.2e-2 in these losses, across backends by 4.4e-2 (PyTorch) and 7.3e-2 (Keras), while its loss moves by 1.0%",
    "resnet50_cifar10": "ResNet50 trained from scratch: its second loss already differs by 2.7e-2 between "
    "PyTorch and TensorFlow (Adam's first step of 23.5M weights, bench/specs/resnet50_cifar10.py)",
}


def own_skip(spec: specs.Spec) -> str | None:
    return CHAOTIC.get(spec.name)


# twenty steps of the spec's own optimizer (Adam as Keras defines it, in every backend),
# free-running; supervised: on twenty consecutive batches of the training data
OWN_STEPS = Protocol(
    "own_steps", ("supervised", "rl"), steps=20, settings=comparable, checks=own_checks, fresh=True, skip=own_skip
)
# value prediction: v_hat of every state (the group weights) after the first episodes' updates,
# from the same canonical initial weights (the book's w = 0, so the forward pass at the start is
# trivially equal) and the same trajectories
FIRST_EPISODES = Protocol("first_episodes", ("prediction",), steps=3, checks=lambda spec: {"after": "weights_atol"})
PROTOCOLS: tuple[Protocol, ...] = (FIRST_STEPS, SGD_STEPS, OWN_STEPS, FIRST_EPISODES)


def protocols_for(spec: specs.Spec) -> list[Protocol]:
    """The protocols of the spec's kind (a generated test each; a skipped one says why)."""
    return [p for p in PROTOCOLS if spec.kind in p.kinds]


def required_tolerances(spec: specs.Spec) -> set[str]:
    """The tolerance keys the spec's protocols compare under."""
    return {key for p in protocols_for(spec) if not p.skip(spec) for key in p.checks(spec).values()}


def missing_tolerances(spec: specs.Spec, protocol: Protocol) -> str | None:
    """None, or a message naming the tolerances the spec must state for ``protocol``."""
    missing = sorted(set(protocol.checks(spec).values()) - set(spec.tolerances))
    if not missing:
        return None
    return (
        f"spec '{spec.name}' must state tolerances {missing} (in Spec.tolerances) for the "
        f"'{protocol.name}' parity protocol of {spec.kind} specs"
    )


_DATA: dict = {}
_OUTCOMES: dict = {}


def outcome(
    algo: str,
    backend: str,
    overrides: Mapping,
    steps: int,
    fresh: bool = False,
    mode: str | None = None,
    precision: str = "fp32",
) -> Outcome:
    """Build ``algo`` in ``backend`` with the quick budget and ``overrides`` and run it ``steps``
    steps in ``mode`` (None: the backend's default) and ``precision`` (cached: a smoke test and a
    parity test with the same settings share one run). ``keras[engine]``: the smoke run, from the
    engine's worker process."""
    if parse_label(backend)[1]:
        return worker_outcome(algo, backend, "smoke")
    fresh = fresh and specs.get(algo).kind == "supervised"
    key = (computation(algo, overrides), backend, steps, fresh, mode, precision)
    if key not in _OUTCOMES:
        learner, hp, spec = build(algo, backend, dict(overrides), mode=mode, precision=precision)
        initial = {name: digest(w) for name, w in learner.get_weights().items()}
        if spec.kind == "supervised":
            _OUTCOMES[key] = run_supervised(learner, hp, data(spec, hp), steps, fresh)
        elif spec.kind == "rl":
            _OUTCOMES[key] = run_rl(learner, hp, steps)
        else:
            _OUTCOMES[key] = run_prediction(learner, hp, data(spec, hp), steps)
        _OUTCOMES[key].initial = initial
    return _OUTCOMES[key]


def computation(algo: str, overrides: Mapping) -> tuple:
    """What decides a run: the translation, the data loader, the initial-weight rules (the weights
    are drawn per (seed, weight name)) and the resolved settings. Two specs that agree on all of
    these (gap_head_fc_dropout with dropout off is gap_head_fc) share one run."""
    spec = specs.get(algo)
    return spec.module, spec.load_data, repr(spec.init), repr(sorted(settings(algo, dict(overrides)).items()))


def digest(w: np.ndarray) -> tuple:
    """(shape, dtype, hash of the bytes): equal exactly when the arrays are equal."""
    w = np.ascontiguousarray(w)
    return w.shape, w.dtype.str, hashlib.sha1(w.tobytes()).hexdigest()


def protocol_outcome(
    algo: str, backend: str, protocol: Protocol, mode: str | None = None, precision: str = "fp32"
) -> Outcome:
    """``algo`` on ``backend`` under ``protocol``, in ``mode`` and ``precision`` (resynchronised
    protocols: the default mode in fp32 only)."""
    if parse_label(backend)[1]:
        return worker_outcome(algo, backend, worker_case(protocol.name, mode, precision))
    overrides = protocol.settings(settings(algo))
    if not protocol.resync(specs.get(algo)):
        return outcome(algo, backend, overrides, protocol.steps, protocol.fresh, mode, precision)
    if (mode, precision) != (None, "fp32"):
        raise ValueError(f"the {protocol.name} protocol runs the default mode in fp32 only")
    key = (computation(algo, overrides), backend, protocol.name)
    if key not in _OUTCOMES:
        reference = reference_backend(algo)
        path = None if backend == reference else protocol_outcome(algo, reference, protocol).extra["path"]
        learner, hp, spec = build(algo, backend, dict(overrides))
        initial = {name: digest(w) for name, w in learner.get_weights().items()}
        _OUTCOMES[key] = run_supervised(learner, hp, data(spec, hp), protocol.steps, path=path, resync=True)
        _OUTCOMES[key].initial = initial
    return _OUTCOMES[key]


# Worker processes: Keras on each of its other engines (one engine per process), and the costly
# cases of the other backends that the session announces as BACKGROUND --------------------------------
BACKGROUND = "background"  # the worker group of the announced costly cases (Keras on its default engine)
# worker group (an engine, or BACKGROUND) -> {(algorithm, backend label, case name)}: this session's
# cases, announced by tests/conftest.py when the collection ends
WORKER_CASES: dict[str, set] = {}
WORKER_TIMEOUT_S = 900
_WORKER_OUTCOMES: dict[str, dict] = {}
WORKER = Path(__file__).resolve().parent / "case_worker.py"


def worker_case(name: str, mode: str | None = None, precision: str = "fp32") -> str:
    """The name of a worker's case: the protocol's, with the axes where not the default
    (``first_steps@jit-on@fp32``)."""
    return name if (mode, precision) == (None, "fp32") else f"{name}@{mode or ''}@{precision}"


def parse_worker_case(case: str) -> tuple[str, str | None, str]:
    """``first_steps@jit-on@fp32`` -> ("first_steps", "jit-on", "fp32")."""
    name, _, axes = case.partition("@")
    mode, _, precision = axes.partition("@")
    return name, mode or None, precision or "fp32"


def worker_group(backend: str) -> str:
    """The worker process a case of ``backend`` runs in: Keras's engine, else BACKGROUND."""
    return parse_label(backend)[1] or BACKGROUND


def worker_outcome(algo: str, backend: str, name: str) -> Outcome:
    """The outcome of ``algo`` on ``backend`` under protocol case ``name`` (or the smoke run),
    computed by its group's worker (tests/case_worker.py). The workers of every group this session
    needs run side by side, each on all of its group's cases: started when the collection ends
    (tests/conftest.py), so that they compute while the session runs its other tests, or else by
    the first call."""
    group, key = worker_group(backend), (algo, backend, name)
    if group not in _WORKER_OUTCOMES:
        if group not in _STARTED:
            WORKER_CASES.setdefault(group, set()).add(key)
            start_workers([g for g in WORKER_CASES if g not in _STARTED])
        _finish(group)
    got = _WORKER_OUTCOMES[group].get(key)
    if got is None:  # a case the collection did not announce (a test run by hand): its own worker
        _run_workers([group], {group: {key}})
        got = _WORKER_OUTCOMES[group][key]
    if isinstance(got, str):
        raise AssertionError(got)
    return got


_STARTED: dict[str, tuple] = {}  # group -> (process, its output folder, its cases): running or done


def start_workers(groups: list[str], cases: dict | None = None) -> None:
    """Start the worker of each group on its cases, without waiting (their output goes to a file:
    a pipe nobody reads could fill and stop them). They run niced: the session's own tests, some of
    which measure the machine's load or time a process, keep the CPU they would have alone."""
    cases = cases or WORKER_CASES
    path = os.pathsep.join(filter(None, [str(WORKER.parent.parent), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONPATH=path)
    for group in groups:
        tmp = Path(tempfile.mkdtemp(prefix=f"cases-{group}-"))
        engine = {} if group == BACKGROUND else {"KERAS_BACKEND": group}
        with open(tmp / "log.txt", "w") as log:
            proc = subprocess.Popen(
                [sys.executable, str(WORKER), str(tmp / "out.pkl"), json.dumps(sorted(cases[group]))],
                env={**env, **engine},
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_niced,
            )
        _STARTED[group] = (proc, tmp, set(cases[group]))


def _niced() -> None:
    os.nice(10)


def _finish(group: str) -> None:
    """Wait for the group's worker and keep its outcomes (a case without one gets the log's end)."""
    proc, tmp, cases = _STARTED[group]
    try:
        proc.wait(timeout=WORKER_TIMEOUT_S)
        log = (tmp / "log.txt").read_text(errors="replace")
    except subprocess.TimeoutExpired:
        proc.kill()
        log = f"no result within {WORKER_TIMEOUT_S} s of waiting"
    out = tmp / "out.pkl"
    done = pickle.loads(out.read_bytes()) if out.exists() else {}
    for key in cases:
        done.setdefault(key, f"{group} worker gave no result for {key}: {log[-3000:]}")
    _WORKER_OUTCOMES.setdefault(group, {}).update(done)


@atexit.register
def _stop_workers() -> None:
    for proc, _, _ in _STARTED.values():
        if proc.poll() is None:
            proc.kill()


def _run_workers(groups: list[str], cases: dict | None = None) -> None:
    start_workers(groups, cases)
    for group in groups:
        _finish(group)


def data(spec: specs.Spec, hp: Mapping):
    """The spec's real data for ``hp``, loaded once per test session."""
    key = (spec.name, repr(sorted(hp.items())))
    if key not in _DATA:
        _DATA[key] = spec.load_data(hp, 0)
    return _DATA[key]
