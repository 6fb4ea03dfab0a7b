"""The optimizer of every PyTorch learner, built from the spec's settings by ``optimizer``:

* ``"adam"``: ``KerasAdam``, Adam exactly as Keras 3 defines it (keras/src/optimizers/adam.py):
  m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); w -= m * alpha / (sqrt(v) + eps) with
  alpha = lr * sqrt(1 - b2^t) / (1 - b1^t), epsilon added to sqrt(v) *before* the bias
  correction of the step size (torch.optim.Adam adds it after);
* ``"adam-native"``: torch.optim.Adam, PyTorch's own formula;
* ``"sgd"``: plain SGD, w -= lr * g.

With ``grad_clip_norm`` > 0 the gradients are scaled by min(1, clip / global norm) before every
step, as Keras's ``global_clipnorm`` does, whichever optimizer it is. A spec without an
``optimizer`` setting (linreg) is plain gradient descent."""

import numpy as np
import torch


class KerasAdam(torch.optim.Optimizer):
    """Keras's Adam on whole tensor lists (``torch._foreach_*``: one kernel launch per list)."""

    def __init__(self, params, lr=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-7):
        super().__init__(params, dict(lr=lr, beta1=beta1, beta2=beta2, epsilon=epsilon))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            states = [self.state[p] for p in params]
            for p, s in zip(params, states):
                if not s:
                    s["step"] = 0
                    s["m"], s["v"] = torch.zeros_like(p), torch.zeros_like(p)
                s["step"] += 1
            t, b1, b2 = states[0]["step"], group["beta1"], group["beta2"]
            one, t = np.float32(1), np.float32(t)  # in float32, as Keras computes it in the variables' dtype
            alpha = float(np.float32(group["lr"]) * np.sqrt(one - np.float32(b2) ** t) / (one - np.float32(b1) ** t))
            m, v = [s["m"] for s in states], [s["v"] for s in states]
            torch._foreach_lerp_(m, grads, 1 - b1)  # m + (1 - b1) * (g - m)
            torch._foreach_lerp_(v, torch._foreach_mul(grads, grads), 1 - b2)
            denom = torch._foreach_sqrt(v)
            torch._foreach_add_(denom, group["epsilon"])
            update = torch._foreach_mul(m, alpha)
            torch._foreach_div_(update, denom)
            torch._foreach_sub_(params, update)
        return loss


@torch.no_grad()
def clip_global_norm_(params, clip):
    """Keras's clip_by_global_norm: g *= clip * min(1 / norm, 1 / clip), norm = sqrt(sum g^2)
    over every gradient (NaN when the norm is not finite); no host synchronisation."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    norm = torch.stack([g.square().sum() for g in grads]).sum().sqrt()
    scale = clip * torch.clamp(1.0 / norm, max=1.0 / clip) + (norm - norm)
    torch._foreach_mul_(grads, scale)


def optimizer(params, hp):
    """The spec's optimizer (``hp["optimizer"]``) over ``params``."""
    params = list(params)
    kind, lr = hp.get("optimizer", "sgd"), hp["lr"]
    if kind == "adam":
        opt = KerasAdam(params, lr, hp["adam_beta1"], hp["adam_beta2"], hp["adam_epsilon"])
    elif kind == "adam-native":
        opt = torch.optim.Adam(
            params, lr, betas=(hp["adam_beta1"], hp["adam_beta2"]), eps=hp["adam_epsilon"], foreach=True
        )
    elif kind == "sgd":
        opt = torch.optim.SGD(params, lr, foreach=True)
    else:
        raise ValueError(f"unknown optimizer {kind!r}")
    clip = float(hp.get("grad_clip_norm") or 0)
    if clip > 0:
        opt.register_step_pre_hook(
            lambda o, args, kwargs: clip_global_norm_([p for g in o.param_groups for p in g["params"]], clip)
        )
    return opt
