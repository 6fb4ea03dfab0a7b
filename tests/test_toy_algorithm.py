"""A new algorithm from outside the repository is picked up everywhere, through the plug-in
mechanism of bench.specs.registry (``BENCH_PLUGINS``): a toy spec (a 1-D linear model trained by SGD
on the mean squared error) with a numpy and a PyTorch translation, written into a temporary
package, gets its generated smoke and parity tests and shows in ``bench list``.

Two deliberately wrong variants ride along and show that the generated tests can fail: one whose
PyTorch translation takes a 1.5x learning rate (the forward pass and the first loss agree, the
second loss does not), and one whose spec states no loss tolerance."""

import dataclasses
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bench import specs
from bench.core.errors import BenchError

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = "toy_plugin"

INIT = '''
"""A toy algorithm: y = w x + b, mean squared error, plain SGD."""
import numpy as np

from bench import specs
from bench.core.data.base import SupervisedData
from bench.specs import registry
from bench.specs.base import Spec


def load_data(hp, seed):
    rng = np.random.default_rng(hp["data_seed"])
    x = rng.uniform(-1, 1, (hp["n"], 1)).astype(np.float32)
    y = (3 * x - 1 + 0.1 * rng.normal(size=x.shape)).astype(np.float32)
    cut = hp["n"] * 3 // 4
    return SupervisedData(x[:cut], y[:cut], x[cut:], y[cut:], "toy line")


def evaluate(learner, data, hp):
    return {"mse": float(np.mean((learner.predict(data.x_eval) - data.y_eval) ** 2))}


def spec(name, tolerances):
    return Spec(name=name, title="toy: a line fitted by SGD", kind="supervised", source="tests/test_toy_algorithm.py",
                hparams=dict(n=64, data_seed=0, lr=0.1, epochs=3, batch_size=16, shuffle=True, eval_every=1),
                budgets={"quick": {}, "full": dict(epochs=20)}, metric="mse", higher_is_better=False,
                load_data=load_data, evaluate=evaluate, tolerances=tolerances, impl=name)


TOLERANCES = {"predict_atol": 1e-6, "loss_rtol": 1e-5, "sgd_loss_rtol": 1e-5, "own_loss_rtol": 1e-5}
for name, tolerances, torch_module in (("toy_line", TOLERANCES, "torch_line"),
                                       ("toy_line_wrong_lr", TOLERANCES, "torch_line_wrong_lr"),
                                       ("toy_line_untold", {"predict_atol": 1e-6}, "torch_line")):
    specs.register(spec(name, tolerances))
    registry.register_impl("numpy", name, __name__ + ".numpy_line")
    registry.register_impl("torch", name, __name__ + "." + torch_module)
'''

NUMPY = '''
"""The toy line in numpy (float64)."""
import numpy as np

from bench.core.interface import Learner as Base, check_weights


class Learner(Base):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.k, self.b = np.zeros((1, 1)), np.zeros(1)

    def train_step(self, x, y):
        err = np.asarray(x, np.float64) @ self.k + self.b - y
        self.k = self.k - self.hp["lr"] * 2 * x.T @ err / len(x)
        self.b = self.b - self.hp["lr"] * 2 * err.mean(0)
        return np.mean(err ** 2)

    def predict(self, x):
        return np.asarray(x, np.float64) @ self.k + self.b

    def get_weights(self):
        return {"line/kernel": self.k.astype(np.float32), "line/bias": self.b.astype(np.float32)}

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.k, self.b = (np.asarray(weights[f"line/{w}"], np.float64) for w in ("kernel", "bias"))
'''

TORCH = '''
"""The toy line in PyTorch: nn.Linear and torch.optim.SGD."""
import torch

from bench.core.interface import Learner as Base, check_weights

class Learner(Base):
    lr_factor = 1.0
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        self.net = torch.nn.Linear(1, 1)
        self.opt = torch.optim.SGD(self.net.parameters(), lr=hp["lr"] * self.lr_factor)

    def train_step(self, x, y):
        self.opt.zero_grad()
        loss = torch.mean((self.net(torch.as_tensor(x)) - torch.as_tensor(y)) ** 2)
        loss.backward()
        self.opt.step()
        return loss.detach()

    @torch.no_grad()
    def predict(self, x):
        return self.net(torch.as_tensor(x)).numpy()

    def get_weights(self):
        w, b = self.net.weight.detach().numpy(), self.net.bias.detach().numpy()
        return {"line/kernel": w.T.copy(), "line/bias": b.copy()}

    @torch.no_grad()
    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        self.net.weight.copy_(torch.as_tensor(weights["line/kernel"]).T)
        self.net.bias.copy_(torch.as_tensor(weights["line/bias"]))
'''

WRONG_LR = """
from .torch_line import Learner as Right


class Learner(Right):
    lr_factor = 1.5  # its own class: the right learner, imported beside it, keeps 1.0
"""


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugins")
    pkg = root / PLUGIN
    pkg.mkdir()
    for name, text in {
        "__init__": INIT,
        "numpy_line": NUMPY,
        "torch_line": TORCH,
        "torch_line_wrong_lr": WRONG_LR,
    }.items():
        (pkg / f"{name}.py").write_text(textwrap.dedent(text))
    env = dict(
        os.environ,
        BENCH_PLUGINS=PLUGIN,
        PYTHONPATH=os.pathsep.join(filter(None, [str(root), str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    return root, env


def test_generated_tests_cover_the_toy_algorithm(plugin_env, tmp_path):
    _, env = plugin_env
    report = tmp_path / "report.xml"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_generated.py",
            "-k",
            "toy",
            f"--junitxml={report}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    outcome = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        status = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcome[case.get("name")] = (
            status[0] if status else "passed",
            " ".join(child.get("message") or "" for child in case),
        )
    ran = "\n".join(f"{k}: {v[0]}" for k, v in sorted(outcome.items()))
    expected = {"test_smoke[toy_line-numpy]", "test_smoke[toy_line-torch]", "test_parity[toy_line-torch-first_steps]"}
    assert expected <= set(outcome), f"not generated:\n{ran}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    for name in expected | {"test_smoke[toy_line_wrong_lr-torch]", "test_smoke[toy_line_untold-torch]"}:
        assert outcome[name][0] == "passed", f"{name}: {outcome[name]}\n{proc.stdout[-3000:]}"
    # the numpy reference is what the others are compared with: no parity case of its own
    assert not any(name.startswith("test_parity[") and "-numpy-" in name for name in outcome), ran
    # a wrong learning rate: the forward pass and step 1 agree, step 2 does not
    status, message = outcome["test_parity[toy_line_wrong_lr-torch-first_steps]"]
    assert status == "failure" and "losses" in message and "loss_rtol" in message, (status, message)
    # a spec without the loss tolerance fails with a message saying it must state it
    status, message = outcome["test_parity[toy_line_untold-torch-first_steps]"]
    assert status == "failure" and "must state tolerances ['loss_rtol']" in message, (status, message)
    # and so do the longer protocols: each of the two wrong variants fails every one of its three
    for protocol, key in (("sgd_steps", "sgd_loss_rtol"), ("own_steps", "own_loss_rtol")):
        assert outcome[f"test_parity[toy_line-torch-{protocol}]"][0] == "passed", ran
        status, message = outcome[f"test_parity[toy_line_wrong_lr-torch-{protocol}]"]
        assert status == "failure" and key in message, (status, message)
        status, message = outcome[f"test_parity[toy_line_untold-torch-{protocol}]"]
        assert status == "failure" and f"must state tolerances ['{key}']" in message, (status, message)
    assert proc.returncode == 1  # exactly because of the two wrong variants
    assert sum(s == "passed" for s, _ in outcome.values()) == len(outcome) - 6, ran


def test_bench_list_shows_the_toy_algorithm(plugin_env):
    _, env = plugin_env
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "list"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    row = next((line for line in proc.stdout.splitlines() if line.split()[:1] == ["toy_line"]), None)
    assert row is not None, proc.stdout
    # kind, then tf torch keras keras[jax] keras[torch] numpy: the toy has torch and the numpy reference only
    assert row.split()[1:8] == ["supervised", "-", "yes", "-", "-", "-", "yes"], row


def test_a_plugin_that_cannot_be_imported_is_one_line(plugin_env, monkeypatch):
    _, env = plugin_env
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(env, BENCH_PLUGINS="toy_plugin, no_such_plugin"),
        timeout=300,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "bench: error: BENCH_PLUGINS: cannot import plug-in 'no_such_plugin': No module named 'no_such_plugin'"
    ]
    monkeypatch.setenv("BENCH_PLUGINS", "no_such_plugin")
    with pytest.raises(BenchError, match="cannot import plug-in 'no_such_plugin'"):
        specs.all_specs()


def test_a_plugin_cannot_take_an_existing_name_or_module():
    from bench.specs import registry

    with pytest.raises(BenchError, match="'lenet5': an algorithm of that name exists already"):
        specs.register(dataclasses.replace(specs.get("mlp"), name="lenet5"))
    with pytest.raises(BenchError, match="impls/torch/mlp.py exists already"):
        registry.register_impl("torch", "mlp", "elsewhere.mlp")
    with pytest.raises(BenchError, match="unknown backend 'jax'"):
        registry.register_impl("jax", "toy", "elsewhere.toy")
