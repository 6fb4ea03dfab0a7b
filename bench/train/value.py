"""The value-prediction driver (``kind="prediction"``): gradient Monte Carlo and semi-gradient TD(0)
on pre-generated episodes (:mod:`bench.specs.families.value`).

**The learner's contract.** ``learner.train_step(x, y)`` makes the updates of one episode, in
order, each on the weights the previous one left: ``x`` = {"states", "next_states",
"discounts"} and ``y`` = the rewards, one entry per update (:func:`bench.core.data.random_walk.
update_inputs`); it returns the episode's mean of 0.5 (target - v_hat)^2 as a framework scalar.
``learner.predict(states)`` returns v_hat of states 1..n as numpy. One call per episode keeps
the per-update cost to what each framework's compiled or eager step costs, not a Python call
per update; a one-update call is how the update latency is measured.

**Timing** follows :class:`~bench.train.tracking.RunTracker`: the first episode (trace/compile)
is timed on its own; then every ``eval_every`` episodes form one timed round whose updates/s
is one throughput measurement; evaluation (VE over all states) is outside the clock. Each
call's host time divided by its updates is a timed step of the round (stalls are counted
against the round's median per-update time, so a long episode is not a stall). After training,
``latency_updates`` one-update calls (the run's first update, from the final weights, which
are restored afterwards) are each synchronised and timed: the update latency, median and IQR.
"""

from __future__ import annotations

import time

import numpy as np

from bench.core.stats import spread
from bench.train.tracking import RunTracker


def train(spec, learner, data, hp, seed, sync, train_step=None, on_eval=None, backend=None) -> dict:
    return _Loop(spec, learner, data, hp, sync, train_step or learner.train_step, on_eval).run()


class _Loop(RunTracker):
    def __init__(self, spec, learner, data, hp, sync, train_step, on_eval):
        super().__init__(spec, learner, data, hp, sync, on_eval)
        self.train_step = train_step
        self.episodes = self.updates = 0

    def context(self) -> dict:
        return {"episodes": self.episodes, "updates": self.updates}

    def run(self) -> dict:
        data, hp = self.data, self.hp
        inputs, offsets = data.inputs, data.episodes.offsets
        total, every = data.episodes.count, int(hp["eval_every"])
        # every episode's call arguments, sliced (views) before the clock starts
        calls = [self._args(inputs, offsets[i], offsets[i + 1]) for i in range(total)]
        self.evaluate()
        self.losses.append(self.timed_first(self.train_step, *calls[0]))
        self._advance(1, int(offsets[1]))
        step, clock = self.train_step, time.perf_counter
        while self.episodes < total:
            end = min(total, (self.episodes // every + 1) * every)
            first, n_updates = self.episodes, int(offsets[end] - offsets[self.episodes])
            self.sync()
            t0 = t = clock()
            for i in range(first, end):
                self.losses.append(step(*calls[i]))
                now = clock()
                self.step_times.append((now - t) / (offsets[i + 1] - offsets[i]))
                t = now
            self.sync()
            elapsed = clock() - t0
            self._advance(end - first, n_updates)
            if not self.end_round(elapsed, n_updates, f"after {self.episodes} episodes ({self.updates} updates)"):
                break
        return self.finish("updates/s", self.final_metrics(calls[0]))

    @staticmethod
    def _args(inputs, a, b):
        return ({k: inputs[k][a:b] for k in ("states", "next_states", "discounts")}, inputs["rewards"][a:b])

    def _advance(self, episodes, updates):
        self.episodes += episodes
        self.updates += updates
        self.out["steps"] = self.updates

    def latency(self, x, y) -> dict:
        """One-update calls, each synchronised and timed, from the final weights (restored after)."""
        reps = int(self.hp["latency_updates"])
        if reps < 1 or self.out["status"] != "ok":
            return {}
        one = ({k: v[:1] for k, v in x.items()}, y[:1])
        saved = self.learner.get_weights()
        times = []
        for _ in range(reps):
            self.sync()
            t0 = time.perf_counter()
            np.asarray(self.train_step(*one))
            self.sync()
            times.append(time.perf_counter() - t0)
        self.learner.set_weights(saved)
        s = spread([1e6 * t for t in times])
        return {"update_latency_us": s["median"], "update_latency_p25_us": s["p25"], "update_latency_p75_us": s["p75"]}

    def final_metrics(self, first_call) -> dict:
        m = dict(self.metrics)
        if self.out["status"] == "ok":
            w = self.learner.predict(np.arange(1, self.data.walk.n_states + 1, dtype=np.int32))
            size = self.data.walk.n_states // self.data.n_groups
            m["v_hat_groups"] = [float(v) for v in np.asarray(w, np.float64)[::size]]
        tail = [p.metrics.get("ve") for p in self.out["curve"][-10:] if p.metrics.get("ve") is not None]
        m.update(
            episodes=self.episodes,
            updates=self.updates,
            updates_per_s=self.updates / self.train_time if self.train_time else None,
            ve_tail_mean=float(np.mean(tail)) if tail else None,
            ve_reference=self.data.ve_reference,
            ve_mc_optimum=self.data.ve_mc_optimum,
            ve_td_fixed_point=self.data.ve_td_fixed_point,
        )
        m.update(self.latency(*first_call))
        return m
