"""Named Python environments for framework-version A/B runs: ``bench env create | list``.

A speed comparison of two framework versions runs the same configuration in two persistent
workers, each started with its own interpreter (``--python NAME=PATH``). This module makes and
checks those interpreters. ``bench env create NAME --constraints FILE`` makes a virtual
environment ``.envs/NAME`` at the project root and installs FILE into it (one requirement pin a
line, e.g. ``keras==3.14.0``; comments and blank lines allowed).

Inheritance. A new environment sees the current environment's site-packages *after* its own: a
``.pth`` file in its site-packages calls ``site.addsitedir`` on each of the base interpreter's
site-packages directories, so their own ``.pth`` files run too (the project's editable install
among them, which makes ``bench`` importable; when it does not, the project root is added). So
only what the pins change is installed (``keras==3.14.0`` downloads Keras alone) and everything
else (TensorFlow, PyTorch, numpy, ...) is the current environment's, the same bytes on both sides
of the comparison. The new environment has no pip of its own: the base's pip, found through the
inheritance, runs in it and installs into it (``sys.prefix`` is the new environment).

pip never changes the base environment: a pin that replaces a package the base has makes pip try
to uninstall the base's copy, which it refuses ("Not uninstalling ... outside environment") because
the copy lies outside the running environment; the pinned version goes into the new environment
and shadows it. :func:`create` checks this too: the base's installed distributions are listed
before and after pip runs, and a difference is an error.

A failed install (a pin that does not exist, no network) removes the half-made environment and
says pip's last error line. :func:`describe` runs an interpreter with a short script that reads
package versions with ``importlib.metadata`` (no framework is imported: fast) and checks that
``bench`` imports there; :func:`resolve` parses one ``--python`` value.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from bench.core.errors import BenchError
from bench.core.paths import absolute, writable_dir

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENVS_DIR = PROJECT_ROOT / ".envs"
# the versions describe() reports
PACKAGES = ("numpy", "torch", "tensorflow", "keras", "jax", "jaxlib", "tensorflow-probability")
MARKER = "bench-env.json"  # written into every environment create() makes
PTH = "_bench_inherit.pth"
PIP_LOG = "pip-install.log"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
FIX = "make one with 'bench env create NAME --constraints FILE'"
DESCRIBE_TIMEOUT_S = 120

# Run by describe() in the interpreter under test, with -I (no PYTHONPATH, no working directory on
# sys.path): what that environment has by itself. Plain Python 3.8+, imports no framework.
_DESCRIBE = """
import json, os, platform, sys
from importlib import metadata
out = {"python": platform.python_version(), "executable": sys.executable, "packages": {}}
for name in NAMES:
    try:
        out["packages"][name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        out["packages"][name] = None
try:
    import bench
    out["bench"] = os.path.dirname(os.path.abspath(bench.__file__))
except Exception as exc:
    out["bench_error"] = type(exc).__name__ + ": " + str(exc).splitlines()[0] if str(exc) else type(exc).__name__
print("BENCH-DESCRIBE " + json.dumps(out))
"""


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise BenchError(
            f"environment name {name!r} is not allowed: use letters, digits, '-', '_' and '.', "
            f"starting with a letter or digit (e.g. keras314)"
        )
    return name


def env_python(env_dir: str | os.PathLike) -> Path:
    """The interpreter of the virtual environment at ``env_dir``."""
    env_dir = Path(env_dir)
    return env_dir / "Scripts" / "python.exe" if os.name == "nt" else env_dir / "bin" / "python"


def _requirements(constraints) -> Path:
    """The constraints file as an absolute Path, checked: it exists, is readable and pins something."""
    if constraints is None or not str(constraints).strip():
        raise BenchError("--constraints is empty: give a requirements file (one pin a line, e.g. keras==3.14.0)")
    path = absolute(constraints)
    if not path.exists():
        raise BenchError(f"constraints file {constraints} does not exist")
    if not path.is_file():
        raise BenchError(f"constraints file {constraints} is not a file")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchError(f"cannot read constraints file {constraints}: {exc}") from None
    if not any(line.strip() and not line.strip().startswith("#") for line in text.splitlines()):
        raise BenchError(
            f"constraints file {constraints} holds no requirement (one pin a line, e.g. keras==3.14.0); "
            f"to run the current environment as it is, give --python NAME={sys.executable}"
        )
    return path


def _run(cmd, what: str, **kw) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what} took over {kw.get('timeout')} s: {' '.join(map(str, cmd))}") from None
    except OSError as exc:
        raise BenchError(f"{what} could not start ({exc.strerror or exc}): {cmd[0]}") from None


def _last_error(proc: subprocess.CompletedProcess) -> str:
    """pip's last ``ERROR:`` line, else the last line it wrote."""
    lines = [ln.strip() for ln in (proc.stderr or "").splitlines() + (proc.stdout or "").splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR:")]
    return (errors or lines or [f"exit status {proc.returncode}"])[-1]


def _site_dirs(python) -> list[str]:
    """The site-packages directories of ``python``'s environment, asked of that interpreter."""
    code = "import json, site; print(json.dumps(site.getsitepackages()))"
    proc = _run([python, "-I", "-c", code], f"base interpreter {python}", timeout=DESCRIBE_TIMEOUT_S)
    try:
        dirs = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise BenchError(f"base interpreter {python} did not say its site-packages: {_last_error(proc)}") from None
    seen, out = set(), []
    for d in dirs:
        real = os.path.realpath(d)
        if os.path.isdir(d) and real not in seen:
            seen.add(real)
            out.append(d)
    return out


def _purelib(python) -> str:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    proc = _run([python, "-I", "-c", code], f"new interpreter {python}", timeout=DESCRIBE_TIMEOUT_S)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise BenchError(f"new interpreter {python} did not say its site-packages: {_last_error(proc)}")
    return proc.stdout.strip().splitlines()[-1]


def _snapshot(dirs) -> dict[str, int]:
    """The installed distributions of ``dirs`` (metadata directories and their times): what pip
    would change by installing or removing anything there."""
    out = {}
    for d in dirs:
        try:
            with os.scandir(d) as entries:
                for e in entries:
                    if e.name.endswith((".dist-info", ".egg-info", ".egg-link", ".pth")):
                        out[os.path.join(d, e.name)] = e.stat().st_mtime_ns
        except OSError:
            continue
    return out


def _imports_bench(python) -> bool:
    proc = _run([python, "-I", "-c", "import bench"], f"new interpreter {python}", timeout=DESCRIBE_TIMEOUT_S)
    return proc.returncode == 0


def _has_pip(python) -> bool:
    code = "import importlib.util, sys; sys.exit(importlib.util.find_spec('pip') is None)"
    return _run([python, "-I", "-c", code], f"new interpreter {python}", timeout=DESCRIBE_TIMEOUT_S).returncode == 0


def _remove(env_dir: Path) -> None:
    shutil.rmtree(env_dir, ignore_errors=True)


def create(
    name: str,
    constraints: str | os.PathLike,
    *,
    root: str | os.PathLike = ENVS_DIR,
    base_python: str | os.PathLike = sys.executable,
    inherit: bool = True,
    pip_args=(),
    replace: bool = False,
) -> Path:
    """Make the environment ``root/name`` with the pins of ``constraints`` installed, seeing the
    ``base_python`` environment's packages after its own when ``inherit``. -> its interpreter.

    Raises BenchError, before any work, on a bad name, a missing or unreadable constraints file,
    or an existing directory (``replace=True`` remakes an environment this function made; it
    never removes any other directory); and after, on a failed install, with the environment
    removed."""
    check_name(name)
    requirements = _requirements(constraints)
    env_dir = _target(root, name, replace)
    root = env_dir.parent
    base_python = absolute(base_python)
    base_dirs = _site_dirs(base_python) if inherit else []
    if inherit and not base_dirs:
        raise BenchError(f"base interpreter {base_python} has no site-packages directory to inherit")
    if env_dir.exists():
        _remove(env_dir)
    root.mkdir(parents=True, exist_ok=True)
    try:
        return _make(name, env_dir, requirements, base_python, base_dirs, inherit, list(pip_args))
    except BaseException:  # a failed install or Ctrl-C leaves no half-made environment
        _remove(env_dir)
        raise


def _target(root, name: str, replace: bool) -> Path:
    """``root/name``, checked: ``root`` can take it, and an existing one is replaced only when asked
    and only when ``create`` made it."""
    env_dir = absolute(writable_dir(root, "the environments directory")) / name
    if env_dir.exists() or env_dir.is_symlink():
        if not replace:
            raise BenchError(f"environment {name} exists at {env_dir}; --replace makes it again")
        if not (env_dir / MARKER).is_file() or env_dir.is_symlink():
            raise BenchError(f"{env_dir} was not made by 'bench env create'; remove it yourself or choose another name")
    return env_dir


def _make(name, env_dir: Path, requirements: Path, base_python: Path, base_dirs, inherit, pip_args) -> Path:
    # with inheritance the base's pip serves: no pip of its own to install (5 s saved)
    venv = [base_python, "-m", "venv", *(["--without-pip"] if inherit else []), env_dir]
    proc = _run(venv, "python -m venv")
    if proc.returncode != 0:
        raise BenchError(f"python -m venv {env_dir} failed: {_last_error(proc)}")
    python = env_python(env_dir)
    site_dir = _purelib(python)
    if inherit:
        pth = Path(site_dir) / PTH
        lines = ["# the base environment's packages, after this environment's own (bench env create)"]
        lines += [f"import site; site.addsitedir({d!r})" for d in base_dirs]
        pth.write_text("\n".join(lines) + "\n")
        if not _imports_bench(python):
            pth.write_text("\n".join([*lines, str(PROJECT_ROOT)]) + "\n")
        if not _has_pip(python):
            proc = _run([python, "-m", "ensurepip", "--default-pip"], "ensurepip")
            if proc.returncode != 0:
                raise BenchError(f"cannot install pip into {env_dir}: {_last_error(proc)}")
    elif not _imports_bench(python):
        (Path(site_dir) / PTH).write_text(str(PROJECT_ROOT) + "\n")
    before = _snapshot(base_dirs)
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-r", requirements, *pip_args]
    proc = _run(pip, "pip install")
    (env_dir / PIP_LOG).write_text(f"$ {' '.join(map(str, pip))}\n{proc.stdout}\n{proc.stderr}")
    if _snapshot(base_dirs) != before:
        raise BenchError(f"pip changed the base environment {', '.join(base_dirs)} while installing {requirements}")
    if proc.returncode != 0:
        raise BenchError(f"pip could not install {requirements} into environment {name}: {_last_error(proc)}")
    describe(python)  # bench imports there, the interpreter runs
    marker = {
        "name": name,
        "constraints": str(requirements),
        "requirements": requirements.read_text(),
        "base_python": str(base_python),
        "inherit": bool(inherit),
        "site_packages": site_dir,
        "created_at": time.time(),
    }
    (env_dir / MARKER).write_text(json.dumps(marker, indent=1) + "\n")
    return python


def describe(python: str | os.PathLike) -> dict:
    """What the interpreter ``python`` runs: {"python": version, "executable": path, "packages":
    {name: version or None for PACKAGES}, "bench": where bench is imported from}. BenchError,
    naming the path and the fix, when it is missing, not executable, not a Python or cannot
    import bench."""
    path = absolute(python)
    if not path.exists():
        raise BenchError(f"no Python interpreter at {python}; {FIX}")
    if path.is_dir():
        hint = env_python(path)
        raise BenchError(
            f"{python} is a directory, not a Python interpreter"
            + (f"; give {hint}" if hint.exists() else f"; give an interpreter's path or {FIX}")
        )
    if not os.access(path, os.X_OK):
        raise BenchError(f"{python} is not executable: give a Python interpreter's path or {FIX}")
    code = "NAMES = " + repr(PACKAGES) + "\n" + _DESCRIBE
    try:
        proc = subprocess.run([str(path), "-I", "-c", code], capture_output=True, text=True, timeout=DESCRIBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{python} did not answer in {DESCRIBE_TIMEOUT_S} s: is it a Python interpreter?") from None
    except OSError as exc:
        raise BenchError(f"{python} is not a Python interpreter ({exc.strerror or exc}); {FIX}") from None
    found = [ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH-DESCRIBE ")]
    try:
        info = json.loads(found[-1].split(" ", 1)[1])
    except (IndexError, ValueError):
        why = _last_error(proc) if (proc.stderr or proc.stdout).strip() else "it printed nothing"
        raise BenchError(f"{python} is not a Python 3.8+ interpreter that runs ({why}); {FIX}") from None
    if "bench" not in info:
        raise BenchError(
            f"{python} cannot import bench ({info.get('bench_error', 'unknown error')}): it does not see this "
            f"project; {FIX} (it inherits this environment and the project)"
        )
    return info


def resolve(spec: str, root: str | os.PathLike | None = None) -> tuple[str, Path]:
    """One ``--python`` value: ``NAME=PATH``, or a bare ``NAME`` for ``root/NAME`` (default
    :data:`ENVS_DIR`). -> (name, interpreter path, absolute, links kept). Only the syntax is
    checked here; :func:`describe` checks the interpreter."""
    text = (spec or "").strip()
    if not text:
        raise BenchError("--python is empty: give NAME=PATH (e.g. keras314=.envs/keras314/bin/python) or NAME")
    name, sep, path = text.partition("=")
    name, path = name.strip(), path.strip()
    if sep and not path:
        raise BenchError(f"--python {spec!r}: no path after '='; give NAME=PATH (e.g. keras314=/path/to/python)")
    if not name:
        raise BenchError(f"--python {spec!r}: no name before '='; give NAME=PATH (e.g. keras314=/path/to/python)")
    if not NAME_RE.fullmatch(name):
        raise BenchError(
            f"--python {spec!r}: name {name!r} is not allowed: use letters, digits, '-', '_' and '.', "
            f"starting with a letter or digit; give NAME=PATH or NAME"
        )
    if sep:
        return name, absolute(path)
    return name, absolute(env_python(Path(ENVS_DIR if root is None else root) / name))


# what an environment holds ------------------------------------------------------------------------
def own_packages(env_dir: str | os.PathLike) -> dict[str, str]:
    """The distributions installed in the environment's own site-packages (not inherited):
    {name: version}. Read from the metadata files; nothing is imported."""
    env_dir = Path(env_dir)
    site_dir = None
    try:
        site_dir = json.loads((env_dir / MARKER).read_text()).get("site_packages")
    except (OSError, ValueError):
        pass
    dirs = [site_dir] if site_dir else [str(p) for p in env_dir.glob("lib/python*/site-packages")]
    dirs += [str(p) for p in env_dir.glob("Lib/site-packages")]
    out = {}
    for dist in metadata.distributions(path=[d for d in dirs if d and os.path.isdir(d)]):
        name = dist.metadata["Name"]
        if name and name not in out:
            out[name] = dist.version
    return out


def _here(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def changes(env_dir: str | os.PathLike) -> list[tuple[str, str | None, str]]:
    """(name, version here or None, version there) of each package the environment installed
    itself with a version that differs from the current environment's."""
    out = []
    for name, version in sorted(own_packages(env_dir).items(), key=lambda kv: kv[0].lower()):
        here = _here(name)
        if here != version:
            out.append((name, here, version))
    return out
