"""The supervised training loop, shared by every backend.

Epochs of batches drawn in one seeded order (and augmented, where the data says so, with one
seeded generator); every ``eval_every`` epochs form one timed round whose samples/s is one
throughput measurement. A learner whose idiom trains many steps a call (``train_steps``: Keras's
``fit``) gets each epoch's timed batches in one call, in the same order. Timing, curve, target
and divergence follow bench.train.tracking. A spec with ``lr_decay_epoch`` = k > 0 trains epochs
k, k+1, ... at ``lr * lr_decay`` (a step schedule set between epochs, off the clock).
"""

from __future__ import annotations

import time

import numpy as np

from bench.core.data import batches
from bench.train.tracking import RunTracker, joined


def train(spec, learner, data, hp, seed, sync, train_step=None, on_eval=None, backend=None) -> dict:
    train_step = train_step or learner.train_step
    many = learner.train_steps  # the idiom that trains many steps a call (Keras's fit), or None
    # the first step compiles what the timed steps run: through ``many`` where the learner has it
    first = train_step if many is None else (lambda x, y: many(x, y, len(x))[0])
    rng = np.random.default_rng(seed) if hp.get("shuffle") else None
    aug_rng = np.random.default_rng([seed, 1])
    epochs, every = int(hp["epochs"]), max(1, int(hp.get("eval_every", 1)))
    where = {"epoch": 0, "samples": 0}
    rec = RunTracker(spec, learner, data, hp, sync, on_eval, context=lambda: dict(where), backend=backend)
    rec.evaluate()
    round_time, round_samples = 0.0, 0
    for epoch in range(1, epochs + 1):
        where["epoch"] = epoch
        if epoch == hp.get("lr_decay_epoch", 0):
            learner.set_lr(hp["lr"] * hp["lr_decay"])
        # slice the epoch's batches before the clock starts: data preparation is not training
        epoch_batches = [(data.x_train[i], data.y_train[i]) for i in batches(data.n_train, hp.get("batch_size"), rng)]
        if data.augment is not None:
            epoch_batches = [(data.augment(xb, aug_rng), yb) for xb, yb in epoch_batches]
        if rec.out["compile_s"] is None:
            xb, yb = epoch_batches.pop(0)
            rec.losses.append(rec.timed_first(first, xb, yb))
            where["samples"] += len(xb)
            rec.out["steps"] += 1
        # only shape-stable steps are timed: the epoch's short last batch trains off the clock
        # (its first appearance would retrace a compiled step inside a timed round)
        tail = []
        if hp.get("batch_size") and epoch_batches and len(epoch_batches[-1][0]) < int(hp["batch_size"]):
            tail = [epoch_batches.pop()]
        whole = many is not None and bool(epoch_batches)  # the epoch's timed batches in one call
        if whole:
            xs, ys = joined(epoch_batches)
        sync()
        t0 = time.perf_counter()
        if whole:
            rec.losses.extend(rec.timed_many(many, xs, ys, len(epoch_batches[0][0])))
        else:
            rec.losses.extend(rec.timed_steps(train_step, epoch_batches))
        sync()
        round_time += time.perf_counter() - t0
        for xb, yb in tail:
            rec.losses.append(rec.untimed(train_step, xb, yb))
            where["samples"] += len(xb)
            rec.out["steps"] += 1
        n = sum(len(xb) for xb, _ in epoch_batches)
        round_samples += n
        where["samples"] += n
        rec.out["steps"] += len(epoch_batches)
        if epoch % every == 0 or epoch == epochs:
            if not rec.end_round(round_time, round_samples, f"in epoch {epoch}"):
                break
            round_time, round_samples = 0.0, 0
    return rec.finish("samples/s")
