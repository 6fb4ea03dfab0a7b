"""From a selection to the cells: the planner (``bench.plan.planner``) and the quick tour
(``bench.plan.tour``)."""
