"""The quick tour: what a plain ``bench run`` runs (``bench run --all`` runs the whole matrix).

One representative of each family of algorithms, on every backend: linear regression by gradient
descent (``linreg``), maximum-likelihood regression with a Normal (``mle_normal``), a CNN
(``lenet5``, on scikit-learn's digits, which ship with scikit-learn, so the tour reads no file
from outside the clone), a value-based RL agent (``dqn``) and a policy-gradient one
(``reinforce``), at their quick budgets, each cell in its own process as in every run; then the
report of the run's results. It needs no network and no data directory.

Settings changed for the tour only (at the quick budget; ``--set`` overrides them): ``linreg``
runs 1000 epochs instead of 4000 and ``mle_normal`` 50 instead of 150, so that the 15 cells
finish in about three minutes on two cores. With so few epochs neither reaches its target: the
tour shows the suite at work, the figures worth quoting come from ``bench run --all --budget full``.
"""

from __future__ import annotations

ALGOS = ("linreg", "mle_normal", "lenet5", "dqn", "reinforce")
BACKENDS = ("tf", "torch", "keras")
# every budget: the data the tour uses
ALWAYS = {"lenet5": {"dataset": "digits"}}
# the quick budget only: shorter runs, for a tour of minutes
QUICK = {"linreg": {"epochs": "1000", "eval_every": "100"}, "mle_normal": {"epochs": "50", "eval_every": "5"}}


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
