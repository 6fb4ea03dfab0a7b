"""The quick tour: what a plain ``bench run`` runs (``bench run --all`` runs the whole matrix).

One representative of each family of algorithms, on every backend: linear regression by gradient
descent (``linreg``), maximum-likelihood regression with a Normal (``mle_normal``), a CNN
(``lenet5``, on scikit-learn's digits, which ship with scikit-learn, so the tour reads no file
from outside the clone), a value-based RL agent (``dqn``) and a policy-gradient one
(``reinforce``). It needs no network and no data directory, and shows the three things the suite
is for:

* **quality**: every cell against a target of the tour's (:data:`TARGETS`), reached at the first
  evaluation that passes it, as a spec's own target is;
* **parity**: the first-steps protocol (the forward pass at the canonical initial weights and the
  losses of the first two steps, every backend held against TensorFlow under the spec's own
  tolerances), in a process of its own beside the cells;
* **speed**: the supervised algorithms' train steps side by side (``bench speed``'s interleaved
  rounds, short, with intervals), after the cells.

The cells measure quality only and run two at a time (:data:`JOBS`): their speed is shared and
not compared; the speed the tour reports is the side-by-side rounds'.

Settings changed for the tour only (at the quick budget; ``--set`` overrides them, :data:`QUICK`):
``linreg`` runs 11000 epochs (its MSE settles within 1% of the least-squares fit's by then,
while its intercept needs the full budget's 40000: the badly conditioned loss of the document);
``lenet5`` 10 epochs of the digits; ``dqn`` 4000 env steps
with exploration annealed over 3000 and learning from step 500; ``reinforce`` 3000 env steps; the
RL agents are evaluated every 1000 steps over 3 episodes. Measured on this project's 2-core
machine: results/recorded/tour/.
"""

from __future__ import annotations

ALGOS = ("linreg", "mle_normal", "lenet5", "dqn", "reinforce")
BACKENDS = ("tf", "torch", "keras")
JOBS = 2  # cells at a time: quality only (their speed is not compared)
# the side-by-side speed rounds of the supervised algorithms: short, with intervals
SPEED = {"rounds": 15, "round_s": 0.1, "warmup_s": 0.3}
# every budget: the data the tour uses
ALWAYS = {"lenet5": {"dataset": "digits"}}
# the quick budget only: what the tour changes so that every cell reaches its tour target
QUICK = {
    "linreg": {"epochs": "11000", "eval_every": "1000"},
    "lenet5": {"epochs": "10"},
    "dqn": {
        "total_steps": "4000",
        "eps_steps": "3000",
        "learn_start": "500",
        "eval_every": "1000",
        "eval_episodes": "3",
    },
    "reinforce": {"total_steps": "3000", "eval_every": "1000", "eval_episodes": "3"},
}
# algorithm -> (metric, "max" (higher is better) or "min", the tour's target, what it means)
TARGETS = {
    "linreg": (
        "mse_gap",
        "min",
        0.25,
        "the fit's MSE within 0.25 (about 1%) of the least-squares MSE, 23.1 (the spec's own target, the "
        "intercept within reach, needs 40000 epochs: the document's badly conditioned loss)",
    ),
    "mle_normal": ("ls_gap", "min", 0.05, "the maximum-likelihood line within 0.05 of the least-squares line"),
    "lenet5": ("accuracy", "max", 0.98, "test accuracy on the 297 held-out digits"),
    "dqn": ("eval_return", "max", 150.0, "greedy return on CartPole-v1 (a random policy: about 20)"),
    "reinforce": ("eval_return", "max", 200.0, "greedy return on CartPole-v1 (a random policy: about 20)"),
}


def settings(algo: str, budget: str) -> dict[str, str]:
    """The tour's ``--set`` values for one algorithm (strings, parsed as ``--set`` values are)."""
    out = dict(ALWAYS.get(algo, {}))
    if budget == "quick":
        out.update(QUICK.get(algo, {}))
    return out


def describe(budget: str) -> str:
    """The tour's own settings in one phrase, for the console."""
    parts = [
        f"{algo} " + " ".join(f"{k}={v}" for k, v in settings(algo, budget).items())
        for algo in ALGOS
        if settings(algo, budget)
    ]
    return "; ".join(parts) if parts else "none"


def targets() -> dict[str, dict]:
    """The tour's targets as a record holds them."""
    return {a: {"metric": m, "goal": g, "value": v, "means": why} for a, (m, g, v, why) in TARGETS.items()}
