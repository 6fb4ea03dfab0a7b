"""The plumbing shared by the PyTorch supervised classifiers: the net on the device, the spec's
optimizer (impls/torch/_optim.py, over the parameters that require a gradient), the eager
training step (mean cross-entropy), prediction and the canonical weights. A module's
``Learner`` builds its ``nn.Module`` (overriding ``_loss`` to add a term) and ends its
``__init__`` with ``self._setup``.

Modes (``self.mode``): ``eager`` (the default); ``compile``, ``compile-max`` and
``reduce-overhead`` run the training loss (forward and loss; AOTAutograd compiles its backward)
and the prediction through ``torch.compile`` with inductor in that mode (``compile``: its
default). The optimizer step stays eager. Precision bf16: the forward and the loss under
``torch.autocast(dtype=torch.bfloat16)``, float32 parameters, gradients and optimizer state."""

import contextlib

import torch
import torch.nn.functional as F

from bench.core.interface import Learner as Base
from impls.torch import _cnn, _optim


class ClassifierLearner(Base):
    binary = False  # True: one logit per example, BCE with logits, predict gives P(class 1)
    nchw = False  # True: the net takes NCHW, so NHWC inputs are permuted here (else the net permutes)

    def _setup(self, net):
        self.dev = torch.device("cuda" if self.device == "gpu" else "cpu")
        self.net = net.to(self.dev)
        self.opt = _optim.optimizer((p for p in self.net.parameters() if p.requires_grad), self.hp)
        self.mode = self.mode or "eager"
        self._train_loss, self._forward = compiled(self.mode, self._loss), compiled(self.mode, self.net)

    def _autocast(self):
        if self.precision != "bf16":
            return contextlib.nullcontext()
        return torch.autocast(self.dev.type, dtype=torch.bfloat16)

    def _inputs(self, x):
        x = torch.as_tensor(x, dtype=torch.float32, device=self.dev)
        return x.permute(0, 3, 1, 2).contiguous() if self.nchw else x

    def _loss(self, x, y):
        """Mean cross-entropy of the training-mode logits."""
        ce = F.binary_cross_entropy_with_logits if self.binary else F.cross_entropy
        return ce(self.net(x), y)

    def train_step(self, x, y):
        x, y = self._inputs(x), torch.as_tensor(y, device=self.dev)
        self.net.train()
        self.opt.zero_grad(set_to_none=True)
        with self._autocast():
            loss = self._train_loss(x, y)
        loss.backward()
        self.opt.step()
        return loss.detach()

    @torch.no_grad()
    def predict(self, x):
        self.net.eval()
        with self._autocast():
            logits = self._forward(self._inputs(x)).float()
        return (torch.sigmoid(logits) if self.binary else logits).cpu().numpy()

    @torch.no_grad()
    def bn_batch_stats(self, x):
        stats, bns = {}, _cnn.batchnorms(self.net)

        def record(name):
            def hook(module, inputs):
                t = inputs[0]
                dims = [0, *range(2, t.dim())]  # every axis but the channels (dim 1)
                stats[name] = (t.mean(dims).cpu().numpy(), t.var(dims, unbiased=False).cpu().numpy())

            return hook

        self.net.eval()  # dropout off; the BatchNorm modules alone normalise by batch statistics,
        hooks = [m.register_forward_pre_hook(record(n)) for n, m in bns.items()]
        momenta = {n: m.momentum for n, m in bns.items()}
        try:
            for m in bns.values():
                m.train()
                m.momentum = 0.0  # running = (1 - 0) * running + 0 * batch: unchanged
            self.net(self._inputs(x))
            return stats
        finally:
            for h in hooks:
                h.remove()
            for n, m in bns.items():
                m.momentum = momenta[n]
            self.net.eval()

    def get_weights(self):
        return _cnn.get_weights(self.net)

    def set_weights(self, weights):
        _cnn.set_weights(self.net, weights)

    def set_lr(self, lr):
        for group in self.opt.param_groups:
            group["lr"] = lr

    def describe(self):
        what = "eager" if self.mode == "eager" else f"torch.compile (inductor, mode {COMPILE_MODES[self.mode]})"
        return {"compile": what, "compute_dtype": "bfloat16" if self.precision == "bf16" else "float32"}


# the torch.compile mode of each compiled mode (None: inductor's default)
COMPILE_MODES = {"compile": None, "compile-max": "max-autotune-no-cudagraphs", "reduce-overhead": "reduce-overhead"}


def compiled(mode, fn):
    """``fn`` as the mode runs it: itself in eager mode, else through torch.compile with static
    shapes (each batch shape, one graph specialised to it, and counted as a compile)."""
    return fn if mode in (None, "eager") else torch.compile(fn, mode=COMPILE_MODES[mode], dynamic=False)
