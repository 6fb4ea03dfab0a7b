"""Counting compilations, read by the drivers around their timed rounds (bench.train.tracking):
how many graphs a backend has traced or compiled so far, so that a recompilation inside a timed
round is counted, flagged on the config card, and never hidden in the throughput.

* PyTorch: ``torch._dynamo.utils.counters["stats"]["unique_graphs"]`` (every graph Dynamo
  captured and compiled, recompilations included); the inductor FX-graph cache hits and misses
  are reported too (a warm cache shortens the compile time of the first step).
* TensorFlow and Keras: the tracing counts (``experimental_get_tracing_count``) of every
  ``tf.function`` the learner holds, its Keras models' train and predict functions included.
* Keras counts as its engine does: tf.function traces on TensorFlow, Dynamo's graphs on PyTorch,
  and on JAX every XLA compilation of the process (JAX's monitoring event
  ``/jax/core/compile/backend_compile_duration``, from the driver's start on).
* Other backends, and a mode that compiles nothing (eager), count nothing new.

Frameworks are imported inside the functions only.
"""

from __future__ import annotations

from typing import Any, Callable

COUNTERS = {
    "torch": "torch._dynamo unique_graphs",
    "tf": "tf.function traces",
    "jax": "XLA compilations (jax.monitoring)",
}
JAX_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"


def _counted(backend: str) -> str:
    """What counts ``backend``'s compilations: Keras's engine (tf, torch or jax) for Keras."""
    if backend == "keras":
        import keras

        return {"tensorflow": "tf"}.get(keras.backend.backend(), keras.backend.backend())
    return backend


_JAX_SEEN: list[int] = []  # XLA compilations seen in this process, once the listener is registered


def _on_jax_event(event, duration, **kwargs) -> None:
    if event == JAX_COMPILE_EVENT:
        _JAX_SEEN[0] += 1


def counter_name(backend: str) -> str | None:
    return COUNTERS.get(_counted(backend))


def counter(backend: str, learner: Any) -> Callable[[], int] | None:
    """A function returning the number of graphs compiled so far for ``learner``; None where
    the backend has no counter."""
    backend = _counted(backend)
    if backend == "jax":
        if not _JAX_SEEN:  # one listener per process, however many learners are counted
            from jax import monitoring

            _JAX_SEEN.append(0)
            monitoring.register_event_duration_secs_listener(_on_jax_event)
        return lambda: _JAX_SEEN[0]
    if backend == "torch":
        from torch._dynamo.utils import counters

        return lambda: int(counters["stats"]["unique_graphs"])
    if backend == "tf":
        return lambda: sum(f.experimental_get_tracing_count() for f in _tf_functions(learner))
    return None


def cache_stats(backend: str) -> dict | None:
    """PyTorch's inductor FX-graph cache hits and misses so far (None for the other backends)."""
    if _counted(backend) != "torch":
        return None
    from torch._dynamo.utils import counters

    inductor = counters["inductor"]
    return {k: int(inductor[k]) for k in ("fxgraph_cache_hit", "fxgraph_cache_miss")}


def _tf_functions(learner: Any) -> list:
    """The tf.function objects among the learner's attributes and its models' (two levels)."""
    found, seen = [], set()

    def visit(obj, depth):
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if hasattr(obj, "experimental_get_tracing_count"):
            found.append(obj)
            return
        if depth == 0:
            return
        members = getattr(obj, "__dict__", None)
        if not isinstance(members, dict):
            return
        for name in ("train_function", "predict_function", "test_function"):
            if members.get(name) is not None:
                visit(members[name], 0)
        for value in list(members.values()):
            if hasattr(value, "experimental_get_tracing_count") or _is_model(value):
                visit(value, depth - 1)

    visit(learner, 2)
    return found


def _is_model(obj: Any) -> bool:
    return type(obj).__module__.startswith("keras") and hasattr(obj, "train_function")
