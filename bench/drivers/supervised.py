"""The supervised training loop, shared by every backend.

Epochs of batches drawn in one seeded order; the first train step (trace/compile) is timed on
its own; then every ``eval_every`` epochs form one timed *round* whose samples/s is one
throughput measurement. Evaluation runs outside the clock. The device is synchronised before
the clock is read.
"""

from __future__ import annotations

import math
import time

import numpy as np

from bench.data import batches
from bench.stats import spread


class Diverged(Exception):
    pass


def train(spec, learner, data, hp, seed, sync, train_step=None, on_eval=None) -> dict:
    train_step = train_step or learner.train_step
    rng = np.random.default_rng(seed) if hp.get("shuffle") else None
    aug_rng = np.random.default_rng([seed, 1])
    epochs, every = int(hp["epochs"]), max(1, int(hp.get("eval_every", 1)))
    out = {"curve": [], "compile_s": None, "steps": 0, "time_to_target_s": None,
           "steps_to_target": None, "target_reached": False, "status": "ok"}
    train_time, samples = 0.0, 0
    rates: list[float] = []

    def evaluate(epoch, loss):
        metrics = spec.evaluate(learner, data, hp)
        point = {"epoch": epoch, "step": out["steps"], "samples": samples,
                 "train_time_s": train_time, "loss": loss, **metrics}
        out["curve"].append(point)
        if on_eval:
            on_eval(point)
        if not out["target_reached"] and spec.reached(metrics.get(spec.metric)):
            out.update(target_reached=True, time_to_target_s=train_time, steps_to_target=out["steps"])
        return metrics

    metrics = evaluate(0, None)
    round_time, round_samples, losses = 0.0, 0, []
    for epoch in range(1, epochs + 1):
        # slice the epoch's batches before the clock starts: data preparation is not training
        epoch_batches = [(data.x_train[i], data.y_train[i]) for i in batches(data.n_train, hp.get("batch_size"), rng)]
        if data.augment is not None:
            epoch_batches = [(data.augment(xb, aug_rng), yb) for xb, yb in epoch_batches]
        if out["compile_s"] is None:
            xb, yb = epoch_batches.pop(0)
            sync()
            t0 = time.perf_counter()
            first = float(train_step(xb, yb))
            sync()
            out["compile_s"] = time.perf_counter() - t0
            train_time += out["compile_s"]
            samples += len(xb)
            out["steps"] += 1
            losses.append(first)
        sync()
        t0 = time.perf_counter()
        for xb, yb in epoch_batches:
            losses.append(train_step(xb, yb))
        sync()
        elapsed = time.perf_counter() - t0
        n = sum(len(xb) for xb, _ in epoch_batches)
        round_time, round_samples = round_time + elapsed, round_samples + n
        train_time, samples, out["steps"] = train_time + elapsed, samples + n, out["steps"] + len(epoch_batches)
        if epoch % every == 0 or epoch == epochs:
            values = [float(v) for v in losses]
            loss = float(np.mean(values)) if values else None
            if loss is not None and not math.isfinite(loss):
                out.update(status="diverged", error=f"loss became {loss} in epoch {epoch}")
                out["curve"].append({"epoch": epoch, "step": out["steps"], "samples": samples,
                                     "train_time_s": train_time, "loss": loss})
                break
            if round_time > 0 and round_samples:
                rates.append(round_samples / round_time)
            metrics = evaluate(epoch, loss)
            round_time, round_samples, losses = 0.0, 0, []
    out.update(metrics=metrics, train_time_s=train_time,
               throughput={"unit": "samples/s", **spread(rates), "values": rates})
    return out
