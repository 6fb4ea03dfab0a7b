"""The bookkeeping every driver shares, so that all algorithms are measured by one set of rules.

* The first train step (trace/compile) is timed on its own (``timed_first``) and counted in the
  training time but not in the throughput.
* Training is cut into timed rounds; ``end_round(elapsed, units)`` closes one: its mean loss must
  be finite (else the run stops as ``diverged``), its speed (units per second: samples or env
  steps) is one throughput measurement, and the spec's evaluation runs outside the clock.
* Every evaluation is a point of the learning curve (a :class:`~bench.reporting.schema.CurvePoint`: the
  driver's ``context`` fields, training time, the round's loss and the spec's metrics); the first
  that reaches the spec's target sets time-to-target (training time, compile included) and
  steps-to-target. ``finish`` returns the run's outcome with its :class:`~bench.reporting.schema.Throughput`.
* Compilations (:mod:`bench.core.compiles`) are counted around every timed round: the graphs compiled
  between the end of one evaluation and the end of the next round, less those of the untimed
  steps, happened inside the round; each such round is flagged (``finish`` returns them under
  ``compiles``, for the config card).
"""

from __future__ import annotations

import math
import time

import numpy as np

from bench.core import compiles
from bench.core.stats import spread
from bench.reporting.schema import CurvePoint, Throughput

# a timed step slower than this many times its round's median is a stall or a retrace: counted,
# and named on the config card
STALL_FACTOR = 10.0


def joined(batches) -> tuple[np.ndarray, np.ndarray]:
    """The batches ``[(x, y), ...]`` concatenated in order: the argument of a learner's
    ``train_steps`` (made before the clock)."""
    return np.concatenate([x for x, _ in batches]), np.concatenate([y for _, y in batches])


def timed_loop(fn, batches) -> tuple[list, list[float], float, float]:
    """Run ``fn(*args)`` for every ``args`` in ``batches`` -> (the step values, each step's host
    time from the end of the previous one, the time inside ``fn`` summed, the loop's time).

    The harness's own overhead is the loop's time outside ``fn``, ``1 - inside / loop``: the
    iteration, the clock and the bookkeeping. No synchronisation is counted (a device's queue
    draining after the last step is the steps' time, not the harness's)."""
    values, times, clock = [], [], time.perf_counter
    inside = 0.0
    start = t = clock()
    for args in batches:
        a = clock()
        values.append(fn(*args))
        now = clock()
        inside += now - a
        times.append(now - t)
        t = now
    return values, times, inside, t - start


class RunTracker:
    def __init__(self, spec, learner, data, hp, sync, on_eval=None, context=None, backend=None):
        self.spec, self.learner, self.data, self.hp = spec, learner, data, hp
        self.count = compiles.counter(backend, learner) if backend else None
        self.backend = backend
        self.compiles = {
            "counter": compiles.counter_name(backend) if backend else None,
            "in_timed_rounds": 0,
            "flagged": [],
        }
        self._mark, self._off_clock = None, 0  # the count after the last evaluation; compiles of untimed steps
        self.sync, self.on_eval = sync, on_eval
        if context is not None:
            self.context = context
        self.out = {
            "curve": [],
            "compile_s": None,
            "steps": 0,
            "time_to_target_s": None,
            "steps_to_target": None,
            "target_reached": False,
            "status": "ok",
        }
        self.train_time = 0.0
        self.losses: list = []  # framework scalars of the current round, converted at its end
        self.rates: list[float] = []
        self.metrics: dict = {}
        self.step_times: list[float] = []  # host time of every timed step of the current round
        self.stalls = {"factor": STALL_FACTOR, "count": 0, "timed_steps": 0, "worst_ratio": None, "first": []}
        self.untimed_s = 0.0  # shape-changing steps trained off the clock (counted in train time)
        self._inside, self._loop = 0.0, 0.0  # the current round's time inside the train steps, and its loops'
        self.overhead: list[float] = []  # each timed round's harness overhead (timed_loop), a fraction

    def context(self) -> dict:
        """Driver-specific fields of a curve point (epoch, samples, episodes, ...)."""
        return {}

    def curve_point(self, loss: float | None, metrics: dict) -> CurvePoint:
        """The curve point of the run as it stands: steps, the driver's context, training time."""
        return CurvePoint.from_dict(
            {"step": self.out["steps"], **self.context(), "train_time_s": self.train_time, "loss": loss, **metrics}
        )

    def round_loss(self) -> float | None:
        values = [float(v) for v in self.losses]
        return float(np.mean(values)) if values else None

    def _counted(self, fn, *args):
        """``fn(*args)``, its compilations kept off the timed rounds' count."""
        before = self.count() if self.count else 0
        value = fn(*args)
        if self.count:
            self._off_clock += self.count() - before
        return value

    def timed_first(self, fn, *args):
        """Run ``fn`` once, synchronised and timed on its own: the trace/compile step."""
        self.sync()
        t0 = time.perf_counter()
        value = self._counted(fn, *args)
        float(value) if np.ndim(value) == 0 else np.asarray(value)  # wait for the value
        self.sync()
        dt = time.perf_counter() - t0
        self.out["compile_s"] = (self.out["compile_s"] or 0.0) + dt
        self.train_time += dt
        return value

    def untimed(self, fn, *args):
        """Run a training step off the clock: one whose shape differs from the timed steps' (the
        epoch's short last batch would retrace a compiled step). It counts in the training time
        and the curve, not in the throughput."""
        self.sync()
        t0 = time.perf_counter()
        value = self._counted(fn, *args)
        self.sync()
        dt = time.perf_counter() - t0
        self.untimed_s += dt
        self.train_time += dt
        return value

    def timed_steps(self, fn, batches) -> list:
        """Run ``fn`` on every batch, recording each step's host time and the harness's own share
        of the loop (:func:`timed_loop`); returns the step values."""
        values, times, inside, loop = timed_loop(fn, batches)
        self.step_times.extend(times)
        self._inside += inside
        self._loop += loop
        return values

    def timed_many(self, fn, x, y, batch_size) -> list:
        """``fn(x, y, batch_size)``, a learner's ``train_steps``, once on batches concatenated in
        order (before the clock), the harness's overhead counted as in :meth:`timed_steps`. Single
        steps are not timed, so no stall is counted. Returns the per-step losses."""
        values, _, inside, loop = timed_loop(fn, [(x, y, batch_size)])
        self._inside += inside
        self._loop += loop
        return list(values[0])

    def _count_stalls(self, where: str) -> None:
        """Steps slower than STALL_FACTOR x the round's median step: retraces or stalls."""
        times = np.asarray(self.step_times)
        self.step_times = []
        if times.size < 3:
            self.stalls["timed_steps"] += int(times.size)
            return
        med = float(np.median(times))
        slow = np.flatnonzero(times > STALL_FACTOR * med) if med > 0 else np.array([], int)
        self.stalls["timed_steps"] += int(times.size)
        self.stalls["count"] += int(slow.size)
        if slow.size:
            worst = float(times[slow].max() / med)
            self.stalls["worst_ratio"] = max(worst, self.stalls["worst_ratio"] or 0.0)
            for i in slow[: max(0, 5 - len(self.stalls["first"]))]:
                self.stalls["first"].append(
                    {"where": where.strip(), "step_in_round": int(i), "seconds": float(times[i]), "round_median_s": med}
                )

    def _count_compiles(self, where: str) -> None:
        """The compilations of the round that ends now (see the module doc); a round with any is flagged."""
        if not self.count or self._mark is None:
            return
        n = self.count() - self._mark - self._off_clock
        if n > 0:
            self.compiles["in_timed_rounds"] += n
            if len(self.compiles["flagged"]) < 5:
                self.compiles["flagged"].append({"where": where.strip(), "compiles": n})

    def evaluate(self) -> dict:
        metrics = self.spec.evaluate(self.learner, self.data, self.hp)
        point = self.curve_point(self.round_loss(), metrics)
        self.out["curve"].append(point)
        if self.on_eval:
            self.on_eval(point)
        if not self.out["target_reached"] and self.spec.reached(metrics.get(self.spec.metric)):
            self.out.update(target_reached=True, time_to_target_s=self.train_time, steps_to_target=self.out["steps"])
        self.metrics = metrics
        if self.count:
            self._mark, self._off_clock = self.count(), 0
        return metrics

    def end_round(self, elapsed: float, units: int, where: str = "") -> bool:
        """Close a timed round of ``elapsed`` seconds that processed ``units`` samples or env
        steps. False when the run must stop: the loss diverged, or the target was reached and
        the spec says ``stop_on_target``."""
        self.train_time += elapsed
        self._count_stalls(where)
        self._count_compiles(where)
        loss = self.round_loss()
        if loss is not None and not math.isfinite(loss):
            self.out.update(status="diverged", error=f"loss became {loss} {where}".strip())
            self.out["curve"].append(self.curve_point(loss, {}))
            return False
        if elapsed > 0 and units:
            self.rates.append(units / elapsed)
            if self._loop > 0:
                self.overhead.append(max(0.0, 1.0 - self._inside / self._loop))
        self._inside, self._loop = 0.0, 0.0
        self.evaluate()
        self.losses = []
        return not (self.out["target_reached"] and self.hp.get("stop_on_target"))

    def finish(self, unit: str, metrics: dict | None = None) -> dict:
        self.out["stalls"] = dict(self.stalls, untimed_s=self.untimed_s)
        if self.count:
            self.out["compiles"] = dict(self.compiles, total=self.count(), cache=compiles.cache_stats(self.backend))
        self.out.update(
            metrics=self.metrics if metrics is None else metrics,
            train_time_s=self.train_time,
            throughput=Throughput(
                unit=unit, values=list(self.rates), overhead=list(self.overhead) or None, **spread(self.rates)
            ),
        )
        return self.out
