"""Quality in every execution mode and precision, generated from bench.core.modes and the registry.

* mode parity: every (algorithm, backend, mode) that the backend runs on the CPU other than its
  default, against its default twin (tf: graph, torch: eager, keras: jit-off) under the parity
  protocol of tests/protocols.py (the forward output at the canonical initial weights and the
  losses of the first two steps), within the spec's own cross-backend tolerances: a compiled
  step must compute what the default step computes, as closely as two frameworks do.
* bf16: every (algorithm, backend) in bf16 mixed precision against fp32, default mode, the same
  two losses within the spec's ``bf16_loss_rtol`` (its measurement is in the spec).

Each comparison is checked to be able to fail (the loss moves over the steps by more than the
tolerance). The default run holds lenet5 and mlp in every mode and precision (Keras on its other
engines in their compiled modes), every other modal spec in one compiled mode per backend (the
ResNet nets' in the background worker, BACKGROUND), and the DQN update and metrics_cnn in bf16
(BF16_CI); the rest, PyTorch's other compiled modes above all (tens of seconds of inductor
compilation each on a 2-core CPU), run with --runslow: ``pytest tests/test_modes.py --runslow``.
"""

import numpy as np
import pytest
from protocols import FIRST_STEPS, protocol_outcome, worker_case, worker_outcome
from support import backends, case_id, engine_cases
from test_generated import _can_fail, _check, _slow

from bench import specs
from bench.core import modes
from bench.core.backends import parse_label

pytestmark = pytest.mark.filterwarnings("ignore")

# the specs whose every mode and precision the default run checks; every other modal spec runs there
# in one compiled mode per backend (CI_MODES), and BF16_CI in bf16; the rest with --runslow
EVERY_MODE = ("lenet5", "mlp")
CI_MODES = {"tf": "xla", "keras": "jit-on", "torch": "compile"}
# the specs whose CI cases (one compiled mode per backend and their default twins) compute in the
# background worker (tests/protocols.py), beside the session's other tests: tracing and compiling
# the 10-block nets and their default twins costs 367 s of CPU (measured in a full run, cold
# inductor caches: inductor 60 s resnet10 and 51 s plain10, XLA and Keras jit-on 13-24 s each),
# which the second core spends while the first runs the other tests
BACKGROUND = ("resnet10", "plain10")
# the specs (beyond EVERY_MODE) whose bf16 case runs by default; the others' with --runslow
BF16_CI = ("dqn", "metrics_cnn")


# (algo, backend, mode) -> why its losses leave the spec's tolerance (an xfail naming the gap; it
# fails when the losses agree, so that the entry is removed). The forward output is still checked.
# Empty: plain10's compiled modes (2.5e-3 XLA, 4.9e-3 inductor) were within the net's own
# sensitivity to rounding, and its loss_rtol now says so (bench/specs/plain10.py)
MODE_GAPS: dict[tuple[str, str, str], str] = {}


# (algo, backend) -> why its bf16 losses leave the spec's bf16_loss_rtol (an xfail naming the gap;
# it fails once they agree). The DQN family's 3e-3 was measured on the variants listed in
# bench/specs/families/rl.py on tf, torch and keras; dueling_ddqn_doc (the documented dueling settings) and
# Keras's other engines were measured after it. Both are the dueling head's bf16 rounding
# (Q = V + A - mean(A), in bf16), compounded over the update.
_DUELING_DOC = (
    "bf16 losses differ from fp32's by 3.7e-3 (PyTorch) and 4.2e-3 (TensorFlow) relative, over the family's "
    "bf16_loss_rtol 3e-3"
)
BF16_GAPS = {
    **{("dueling_ddqn_doc", b): _DUELING_DOC for b in ("tf", "torch", "keras", "keras[torch]")},
    ("dueling_ddqn", "keras[jax]"): "bf16 losses differ from fp32's by 3.2e-3 relative (bf16_loss_rtol 3e-3)",
    ("dueling_ddqn", "keras[torch]"): "bf16 losses differ from fp32's by 3.5e-3 relative (bf16_loss_rtol 3e-3)",
    # the documented settings on Keras's other engines (on tf, torch and keras they stay within 3e-3)
    **{
        (algo, f"keras[{engine}]"): f"bf16 losses differ from fp32's by {gap} relative (bf16_loss_rtol 3e-3)"
        for algo, gaps in {
            "double_dqn_doc": ("4.1e-3", "4.4e-3"),
            "double_dqn_hard_doc": ("4.1e-3", "4.4e-3"),
            "per_ddqn_doc": ("3.6e-3", "3.9e-3"),
        }.items()
        for engine, gap in zip(("jax", "torch"), gaps)
    },
    ("resnet10", "keras[jax]"): "bf16 losses differ from fp32's by 7.0e-3 relative (bf16_loss_rtol 5e-3, measured "
    "1.5e-3 on tf; keras[torch] 2.8e-3): XLA's CPU convolutions in bf16 on JAX round more",
}


def _modal():
    """(algorithm, backend) of every modal spec: its backends, and Keras on its other engines."""
    pairs = [(a, b) for a in specs.all_specs() for b in backends(a, False)] + engine_cases()
    return [(a, b) for a, b in pairs if specs.get(a).module in modes.MODAL_MODULES]


def _in_ci(algo, backend, mode):
    if algo in BACKGROUND and not parse_label(backend)[1]:
        return mode == CI_MODES.get(backend)
    if _slow(algo, backend):
        return False
    if parse_label(backend)[1]:  # Keras on another engine (its own worker process): the compiled modes
        return algo in EVERY_MODE and mode is not None
    if algo in EVERY_MODE:
        return True
    if mode is None:  # bf16: the DQN update's (its variants share its code path) and metrics_cnn's
        return algo in BF16_CI
    return mode == CI_MODES[backend]


def _param(algo, backend, mode, id):
    marks = [] if _in_ci(algo, backend, mode) else [pytest.mark.slow]
    if not marks and algo in BACKGROUND:
        marks = [pytest.mark.background]
    return pytest.param(algo, backend, mode, id=id, marks=marks)


def _outcome(request, algo, backend, mode=None, precision="fp32"):
    """The first_steps outcome, from the background worker for a case marked so."""
    if request.node.get_closest_marker("background"):
        return worker_outcome(algo, backend, worker_case(FIRST_STEPS.name, mode, precision))
    return protocol_outcome(algo, backend, FIRST_STEPS, mode=mode, precision=precision)


MODE_CASES = [
    _param(a, b, m, f"{case_id(a, b)}-{m}")
    for a, b in _modal()
    for m in modes.supported(specs.get(a).module, b, "cpu")[0]
    if m != modes.default(b)
]
BF16_CASES = [_param(a, b, None, f"{case_id(a, b)}-bf16") for a, b in _modal()]


@pytest.mark.parametrize("algo,backend,mode", MODE_CASES)
def test_mode_parity(request, algo, backend, mode):
    spec = specs.get(algo)
    twin = _outcome(request, algo, backend)
    got = _outcome(request, algo, backend, mode)
    assert got.initial == twin.initial, f"{algo}/{backend}: initial weights differ between modes"
    gap = MODE_GAPS.get((algo, backend, mode))
    for output, key in FIRST_STEPS.checks(spec).items():
        what = f"{algo}/{backend}: {output}, mode {mode} vs {modes.default(backend)}"
        _can_fail(spec, key, output, getattr(twin, output), algo)
        if gap and output == "losses":
            try:
                _check(spec, key, getattr(twin, output), getattr(got, output), what)
            except AssertionError:
                pytest.xfail(f"known gap: {gap}")
            pytest.fail(f"{(algo, backend, mode)} is in MODE_GAPS but its losses now agree: remove the entry")
        _check(spec, key, getattr(twin, output), getattr(got, output), what)
    assert np.isfinite(got.after).all()


@pytest.mark.parametrize("algo,backend,mode", BF16_CASES)
def test_bf16_against_fp32(request, algo, backend, mode):
    spec = specs.get(algo)
    assert "bf16_loss_rtol" in spec.tolerances, f"spec '{algo}' must state bf16_loss_rtol (bf16 against fp32)"
    fp32 = _outcome(request, algo, backend)
    bf16 = _outcome(request, algo, backend, precision="bf16")
    _can_fail(spec, "bf16_loss_rtol", "losses", fp32.losses, algo)
    what = f"{algo}/{backend}: losses, bf16 vs fp32"
    if (algo, backend) in BF16_GAPS:
        try:
            _check(spec, "bf16_loss_rtol", fp32.losses, bf16.losses, what)
        except AssertionError:
            pytest.xfail(f"known gap: {BF16_GAPS[algo, backend]}")
        pytest.fail(f"{(algo, backend)} is in BF16_GAPS but its bf16 losses now agree: remove the entry")
    _check(spec, "bf16_loss_rtol", fp32.losses, bf16.losses, what)
    # bf16 really computed in bf16: the losses differ from fp32's (an fp32 run would agree to 1e-7)
    assert np.max(np.abs(bf16.losses / fp32.losses - 1)) > 1e-6, f"{algo}/{backend}: bf16 losses equal fp32's"
    assert np.isfinite(bf16.forward).all() and bf16.forward.dtype == np.float32
