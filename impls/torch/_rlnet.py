"""PyTorch networks for the RL learners: an nn.Module built from the canonical layer list
(conv trunk on NHWC observations, dense trunk, dueling / plain / policy head) and conversion
of its weights to and from the canonical layout."""

import torch
from torch import nn

from bench.core.layout import conv_from_torch, conv_to_torch, dense_from_torch, dense_to_torch
from bench.rl.agent import layer_shapes


class Net(nn.Module):
    def __init__(self, hp, head=None):
        super().__init__()
        self.hp, self.head = hp, head
        self.spec = layer_shapes(hp, head)
        strides = {f"conv{i}": s for i, (_, _, s) in enumerate(hp.get("conv") or (), 1)}
        self.mods = nn.ModuleDict()
        for name, k, _ in self.spec:
            if name.startswith("conv"):
                self.mods[name] = nn.Conv2d(k[2], k[3], k[0], stride=strides[name])
            else:
                self.mods[name] = nn.Linear(k[0], k[1])
        self.names = [n for n, _, _ in self.spec]
        self.dueling_max = hp.get("dueling_agg") == "max"

    def forward(self, x):
        m, names = self.mods, self.names
        if "conv1" in m:
            x = x.permute(0, 3, 1, 2)
            for name in (n for n in names if n.startswith("conv")):
                x = torch.relu(m[name](x))
            x = x.permute(0, 2, 3, 1).flatten(1)  # NHWC flatten: the canonical order
        for name in (n for n in names if n.startswith("dense")):
            x = torch.relu(m[name](x))
        if self.head == "pi":
            return m["pi_out"](x)  # logits
        if self.hp.get("dueling"):
            a = torch.relu(m["adv_dense"](x)) if "adv_dense" in m else x
            v = torch.relu(m["v_dense"](x)) if "v_dense" in m else x
            a, v = m["adv_out"](a), m["v_out"](v)
            base = a.max(1, keepdim=True).values if self.dueling_max else a.mean(1, keepdim=True)
            return v + a - base
        q = torch.relu(m["q_dense"](x)) if "q_dense" in m else x
        return m["q_out"](q)

    def canonical(self):
        out = {}
        for name in self.names:
            mod = self.mods[name]
            w = mod.weight.detach().cpu().numpy()  # copies below: on CPU .numpy() shares the live memory
            out[f"{name}/kernel"] = (conv_from_torch(w) if name.startswith("conv") else dense_from_torch(w)).copy()
            out[f"{name}/bias"] = mod.bias.detach().cpu().numpy().copy()
        return out

    @torch.no_grad()
    def load_canonical(self, weights):
        for name in self.names:
            mod, k = self.mods[name], weights[f"{name}/kernel"]
            k = conv_to_torch(k) if name.startswith("conv") else dense_to_torch(k)
            mod.weight.copy_(torch.as_tensor(k))
            mod.bias.copy_(torch.as_tensor(weights[f"{name}/bias"]))
