"""Named Python environments (bench.execute.python_envs): an environment made in a temporary directory inherits
this one, gets a different version of one small pure-Python package (tqdm) from its constraints
file, imports bench, and leaves this environment's copy as it was; and bad input (a bad name, a
missing constraints file, an existing environment, a malformed or wrong ``--python``, a pin that
does not exist) is one line through BenchError, with no half-made environment left behind.

The tests that install need pip to reach a package index (the CI machines can); they skip, saying
so, when a tiny ``pip download`` fails."""

import os
import subprocess
import sys
from importlib import metadata

import pytest

from bench.cli import main as cli
from bench.core.errors import BenchError
from bench.execute import python_envs as pyenv

BASE_TQDM = metadata.version("tqdm")
OTHER_TQDM = "4.66.0" if BASE_TQDM != "4.66.0" else "4.65.0"
PIP_QUICK = ("--timeout", "15", "--retries", "1")  # no network: fail in seconds, not minutes


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    """Skip unless pip can download tqdm==OTHER_TQDM (78 kB; pip's cache then serves the installs)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-input", "--timeout", "5", "--retries", "0"]
    cmd += ["-d", str(tmp_path_factory.mktemp("dl")), f"tqdm=={OTHER_TQDM}"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.skip("pip cannot reach a package index (pip download timed out)")
    if proc.returncode != 0:
        pytest.skip(f"pip cannot reach a package index: {(proc.stderr.strip().splitlines() or ['?'])[-1]}")


def pins(path, *lines):
    path.write_text("# a comment, and a blank line\n\n" + "\n".join(lines) + "\n")
    return path


def tqdm_version(python) -> str:
    out = subprocess.run([str(python), "-I", "-c", "import tqdm; print(tqdm.__version__)"], capture_output=True)
    return out.stdout.decode().strip()


@pytest.fixture(scope="module")
def made(network, tmp_path_factory):
    """One environment `old-tqdm` made through the command line: (root, its python, stdout)."""
    root = tmp_path_factory.mktemp("envs")
    constraints = pins(tmp_path_factory.mktemp("c") / "c.txt", f"tqdm=={OTHER_TQDM}")
    # this environment's tqdm, to see that it is left untouched
    base_record = next(f for f in metadata.distribution("tqdm").files if f.name == "RECORD").locate()
    stamp = os.stat(base_record).st_mtime_ns
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pyenv, "ENVS_DIR", root)
        code, out, err = run_cli(["env", "create", "old-tqdm", "--constraints", str(constraints)])
    assert code == 0, err
    assert os.stat(base_record).st_mtime_ns == stamp
    return root, pyenv.env_python(root / "old-tqdm"), out


def run_cli(argv):
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def test_new_env_has_its_pin_and_inherits_the_rest(made):
    root, python, out = made
    assert tqdm_version(python) == OTHER_TQDM
    assert tqdm_version(sys.executable) == BASE_TQDM == metadata.version("tqdm")  # this one untouched
    info = pyenv.describe(python)
    here = pyenv.describe(sys.executable)
    assert info["executable"] == str(python)
    assert info["bench"] == str(pyenv.PROJECT_ROOT / "bench")
    assert info["packages"] == here["packages"]  # frameworks inherited, not reinstalled
    assert pyenv.own_packages(root / "old-tqdm") == {"tqdm": OTHER_TQDM}
    assert pyenv.changes(root / "old-tqdm") == [("tqdm", BASE_TQDM, OTHER_TQDM)]
    assert f"tqdm {BASE_TQDM} -> {OTHER_TQDM}" in out
    assert f"--python old-tqdm={python}" in out


def test_list_shows_the_env(made, monkeypatch):
    root, python, _ = made
    monkeypatch.setattr(pyenv, "ENVS_DIR", root)
    code, out, _ = run_cli(["env", "list"])
    assert code == 0
    assert f"old-tqdm: {python}" in out and f"tqdm {BASE_TQDM} -> {OTHER_TQDM}" in out
    assert pyenv.resolve("old-tqdm", root=root) == ("old-tqdm", python)


def test_existing_env_is_refused_and_only_ours_replaced(made, tmp_path, monkeypatch):
    root, _, _ = made
    constraints = pins(tmp_path / "c.txt", f"tqdm=={OTHER_TQDM}")
    with pytest.raises(BenchError, match="exists .*--replace"):
        pyenv.create("old-tqdm", constraints, root=root)
    monkeypatch.setattr(pyenv, "ENVS_DIR", root)
    code, _, err = run_cli(["env", "create", "old-tqdm", "--constraints", str(constraints)])
    assert code == 2 and err.count("\n") == 1 and "--replace makes it again" in err
    (tmp_path / "mine").mkdir()
    with pytest.raises(BenchError, match="not made by 'bench env create'"):
        pyenv.create("mine", constraints, root=tmp_path, replace=True)
    assert (tmp_path / "mine").is_dir()


def test_pip_failure_leaves_no_env(network, tmp_path):
    constraints = pins(tmp_path / "c.txt", "tqdm==0.0.0.999")
    with pytest.raises(BenchError, match=r"could not install .*No matching distribution found for tqdm==0\.0\.0\.999"):
        pyenv.create("nope", constraints, root=tmp_path / "envs", pip_args=PIP_QUICK)
    assert not (tmp_path / "envs" / "nope").exists()


@pytest.mark.parametrize("name", ["", "a b", "../x", ".hidden", "a/b", "-x", "x" * 65])
def test_bad_name(name, tmp_path):
    constraints = pins(tmp_path / "c.txt", "tqdm")
    with pytest.raises(BenchError, match="not allowed"):
        pyenv.create(name, constraints, root=tmp_path / "envs")
    assert not (tmp_path / "envs").exists()  # refused before any work


def test_bad_constraints(tmp_path):
    root = tmp_path / "envs"
    with pytest.raises(BenchError, match="does not exist"):
        pyenv.create("x", tmp_path / "missing.txt", root=root)
    with pytest.raises(BenchError, match="is not a file"):
        pyenv.create("x", tmp_path, root=root)
    with pytest.raises(BenchError, match="holds no requirement"):
        pyenv.create("x", pins(tmp_path / "empty.txt"), root=root)
    assert not root.exists()


def test_cli_bad_input_is_one_line_exit_2(tmp_path, monkeypatch):
    monkeypatch.setattr(pyenv, "ENVS_DIR", tmp_path / "envs")
    code, _, err = run_cli(["env", "create", "x", "--constraints", str(tmp_path / "missing.txt")])
    assert code == 2 and err.count("\n") == 1 and "does not exist" in err
    code, out, _ = run_cli(["env", "list"])
    assert code == 0 and "no environments under" in out


@pytest.mark.parametrize(
    "spec, why",
    [
        ("", "empty"),
        ("=/usr/bin/python3", "no name"),
        ("a=", "no path"),
        ("a b=/x", "not allowed"),
        ("a/b", "not allowed"),
    ],
)
def test_resolve_malformed(spec, why):
    with pytest.raises(BenchError, match=why):
        pyenv.resolve(spec)


def test_resolve(tmp_path):
    assert pyenv.resolve(f"new={tmp_path}/bin/python") == ("new", tmp_path / "bin" / "python")
    assert pyenv.resolve("k314", root=tmp_path) == ("k314", tmp_path / "k314" / "bin" / "python")
    assert pyenv.resolve("k314") == ("k314", pyenv.ENVS_DIR / "k314" / "bin" / "python")


def test_describe_this_interpreter():
    info = pyenv.describe(sys.executable)
    assert info["python"] == ".".join(map(str, sys.version_info[:3]))
    assert info["packages"]["numpy"] == metadata.version("numpy")
    assert set(info["packages"]) == set(pyenv.PACKAGES)


def test_describe_bad_interpreters(tmp_path):
    with pytest.raises(BenchError, match=f"no Python interpreter at {tmp_path}/missing; make one"):
        pyenv.describe(tmp_path / "missing")
    text = tmp_path / "notes.txt"
    text.write_text("not a program\n")
    with pytest.raises(BenchError, match="is not executable"):
        pyenv.describe(text)
    text.chmod(0o755)
    with pytest.raises(BenchError, match="is not a Python interpreter"):
        pyenv.describe(text)
    script = tmp_path / "script"
    script.write_text("#!/bin/sh\necho hello\n")
    script.chmod(0o755)
    with pytest.raises(BenchError, match="is not a Python 3.8\\+ interpreter that runs"):
        pyenv.describe(script)
    with pytest.raises(BenchError, match="is a directory"):
        pyenv.describe(tmp_path)
    # a Python that does not see the project (a bare virtual environment)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True)
    with pytest.raises(BenchError, match="cannot import bench .*bench env create NAME --constraints FILE"):
        pyenv.describe(pyenv.env_python(tmp_path / "bare"))
