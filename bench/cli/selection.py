"""The selection flags, declared once: every command that takes one (``run``, ``speed``,
``gate``, ``pretrain``) adds it from :data:`FLAGS` with :func:`add`, so it has the same spelling,
type, default and help everywhere; a command that must default otherwise says so in its help.
:func:`selection_of` turns the parsed flags into the planner's one selection type."""

from __future__ import annotations

from bench.plan.planner import Selection

# name -> (argparse keywords, the default, the help before its default); every help ends with "(default: ...)"
FLAGS: dict[str, tuple[dict, object, str]] = {
    "--algo": (dict(action="append"), None, "algorithm(s), repeatable or comma-separated"),
    "--all": (
        dict(action="store_true"),
        False,
        "every algorithm (but the long Atari run, which runs when named with --algo)",
    ),
    "--backend": (
        dict(action="append"),
        None,
        "tf, torch, keras or numpy (reference); repeatable or comma-separated (default: tf, torch and keras)",
    ),
    "--engine": (
        dict(action="append"),
        None,
        "the keras backend's engine(s): tensorflow (the default engine), jax, torch; repeatable or "
        "comma-separated; a cell on jax is named keras[jax]",
    ),
    "--device": (dict(), "cpu", "cpu, gpu or all"),
    "--seeds": (dict(type=int), 1, "number of seeds"),
    "--seed": (dict(type=int), 0, "first seed (of the weights, the data order and, in bench speed, the round order)"),
    "--budget": (dict(), "quick", "whose settings (epochs, batch size, widths): quick or full"),
    "--mode": (
        dict(action="append"),
        None,
        "execution mode(s), repeatable or comma-separated: tf eager, graph (default), xla; torch eager "
        "(default), compile, compile-max, reduce-overhead (GPU); keras jit-off (default), jit-on (XLA on TensorFlow, "
        "torch.compile on PyTorch); keras[jax] jit-on (default), fit (whole epochs through model.fit); 'all': every "
        "mode each backend runs the algorithm in (see 'bench list')",
    ),
    "--precision": (
        dict(action="append"),
        None,
        "fp32, bf16 (mixed: bf16 compute, fp32 weights) or all; repeatable or comma-separated (default: fp32)",
    ),
    "--set": (
        dict(action="append", metavar="KEY=VALUE"),
        None,
        "override a spec setting (repeatable; a tuple setting takes a comma list: --set hidden=64,64)",
    ),
    "--threads": (
        dict(type=int),
        None,
        "framework threads, the same for intra-op, inter-op and OpenMP (default: the spec's, 1 for every spec today)",
    ),
    # where the measurements go: the same in every command that writes them
    "--results-dir": (
        dict(),
        None,
        "where results go, relative to the working directory (default: $BENCH_RESULTS_DIR or results/runs); "
        "its history.sqlite goes with it unless --db",
    ),
    "--db": (
        dict(),
        None,
        "history database file (default: history.sqlite in --results-dir where the command takes it and it is "
        "given, else $BENCH_HISTORY, else history.sqlite in $BENCH_RESULTS_DIR or results/runs)",
    ),
    "--no-history": (dict(action="store_true"), False, "do not record the results in the history database"),
    "--timeout": (dict(type=float), 1800.0, "seconds per cell, > 0"),
}


def _default_text(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def add(p, *names: str, defaults=None, required: tuple = (), command: str = "", notes=None) -> None:
    """Add the named selection flags to the parser ``p``. ``defaults``: a flag whose default in this
    command differs (its help then names both); ``required``: flags this command needs;
    ``notes``: a few words a command adds to a flag's help (what it means there)."""
    defaults, notes = defaults or {}, notes or {}
    for name in names:
        kwargs, default, text = FLAGS[name]
        kwargs = dict(kwargs)
        own = name in defaults and defaults[name] != default
        if name in required:
            help_text = f"{text.split(' (default')[0]}; required"
        elif own:
            help_text = (
                f"{text.split(' (default')[0]} (default in bench {command}: {_default_text(defaults[name])}; "
                f"elsewhere {_default_text(default)})"
            )
            default = defaults[name]
        elif "(default" in text or kwargs.get("action") == "store_true" or default is None:
            help_text = text
        else:
            help_text = f"{text} (default: {_default_text(default)})"
        if name in notes:
            help_text = f"{help_text}; {notes[name]}"
        if kwargs.get("action") == "append":  # argparse would append to a default list: applied after parsing
            if own:
                p.set_defaults(**{f"default_{name[2:]}": default})
            default = None
        if kwargs.get("action") != "store_true":
            kwargs["default"] = default
        p.add_argument(name, required=name in required, help=help_text, **kwargs)


def selection_of(args, **fixed) -> Selection:
    """The parsed flags as the planner's selection; ``fixed``: what the command sets itself."""
    given = {
        "algos": getattr(args, "algo", None),
        "every": getattr(args, "all", False),
        "backends": getattr(args, "backend", None),
        "engines": getattr(args, "engine", None),
        "device": getattr(args, "device", "cpu"),
        "seed": getattr(args, "seed", 0),
        "seeds": getattr(args, "seeds", 1),
        "budget": getattr(args, "budget", "quick"),
        "modes": getattr(args, "mode", None),
        "precisions": getattr(args, "precision", None),
        "settings": tuple(getattr(args, "set", None) or ()),
        "threads": getattr(args, "threads", None),
        "tensorboard": getattr(args, "tensorboard", None),
        "executor": getattr(args, "executor", "local") or "local",
        "quality_only": getattr(args, "quality_only", False),
    }
    for key, flag in (("algos", "algo"), ("backends", "backend"), ("engines", "engine"), ("modes", "mode")):
        if given[key] is None:  # a command's own default of a repeatable flag
            given[key] = getattr(args, f"default_{flag}", None)
    given.update(fixed)
    for key in ("algos", "backends", "engines", "modes", "precisions"):
        if isinstance(given[key], str):
            given[key] = [given[key]]
        if given[key] is not None:
            given[key] = tuple(given[key])
    return Selection(**given)
