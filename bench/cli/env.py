"""``bench env create | list``: Python environments for a framework-version A/B
(:mod:`bench.execute.python_envs`)."""

from __future__ import annotations

import sys
import time

from bench.core.errors import BenchError
from bench.execute import python_envs
from bench.execute.python_envs import (
    FIX,
    PACKAGES,
    PIP_LOG,
    _requirements,
    _target,
    changes,
    check_name,
    create,
    describe,
    env_python,
)


def _versions_line(info: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in info["packages"].items() if v) or "none of " + ", ".join(PACKAGES)


def _changes_lines(env_dir) -> list[str]:
    return [f"  {name} {here or '(absent here)'} -> {there}" for name, here, there in changes(env_dir)]


# command line -----------------------------------------------------------------------------------
def register(sub) -> None:
    p = sub.add_parser(
        "env",
        help="named Python environments for framework-version A/B runs: create, list",
        description="Named Python environments under .envs/ at the project root, for running one "
        "configuration under two framework versions (--python NAME=PATH). Each sees the current "
        "environment's packages after its own, so only what its constraints file pins is installed.",
    )
    es = p.add_subparsers(dest="env_command", required=True, parser_class=type(p))
    cr = es.add_parser(
        "create",
        help="make .envs/NAME with the pins of a constraints file installed",
        description="Make the environment .envs/NAME: a virtual environment that sees the current "
        "environment's packages after its own, with the requirements of FILE (one pin a line, e.g. "
        "keras==3.14.0) installed into it. The current environment is left as it is.",
    )
    cr.add_argument("name", metavar="NAME", help="letters, digits, '-', '_', '.' (e.g. keras314)")
    cr.add_argument("--constraints", required=True, metavar="FILE", help="requirements file: one pin a line")
    cr.add_argument("--replace", action="store_true", help="remake NAME when it exists")
    cr.set_defaults(func=cmd_create)
    ls = es.add_parser("list", help="the environments under .envs/ and their versions")
    ls.set_defaults(func=cmd_list)


def cmd_create(args) -> int:
    root = python_envs.ENVS_DIR  # read at call time (a test points it elsewhere)
    check_name(args.name)  # bad input: its one line, before the progress line
    _requirements(args.constraints)
    _target(root, args.name, args.replace)
    print(f"bench: making environment {args.name} in {root / args.name} ...", file=sys.stderr, flush=True)
    started = time.monotonic()
    python = create(args.name, args.constraints, root=root, replace=args.replace)
    info = describe(python)
    env_dir = root / args.name
    print(f"{args.name}: {python} (Python {info['python']}, made in {time.monotonic() - started:.0f} s)")
    lines = _changes_lines(env_dir)
    print("differs from the current environment:" if lines else "same package versions as the current environment")
    for line in lines:
        print(line)
    print(f"pip's output: {env_dir / PIP_LOG}")
    print(f"use: --python {args.name}={python}")
    return 0


def cmd_list(args) -> int:
    root = python_envs.ENVS_DIR  # read at call time (a test points it elsewhere)
    envs = sorted(p for p in root.iterdir() if (p / "pyvenv.cfg").is_file()) if root.is_dir() else []
    if not envs:
        print(f"no environments under {root}; {FIX}")
        return 0
    for env_dir in envs:
        python = env_python(env_dir)
        try:
            info = describe(python)
        except BenchError as exc:
            print(f"{env_dir.name}: {python}: broken: {exc}")
            continue
        print(f"{env_dir.name}: {python} (Python {info['python']})")
        print(f"  {_versions_line(info)}")
        for line in _changes_lines(env_dir):
            print(f"  {line.strip()}")
    return 0
