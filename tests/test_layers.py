"""The import structure. The one-way layers and the impls contract are in .importlinter, checked by
``lint-imports`` in .ci/run; these tests check what import-linter cannot: that every module of
bench has a place in the layers, that the implementations reach only the modules allowed to
them (new modules included), that no import cycle remains (function-level imports counted), and
that no framework is imported at module level anywhere in bench/."""

import ast
import configparser
import subprocess
import sys
import textwrap
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ("tensorflow", "torch", "keras", "jax", "tf_keras", "tensorflow_probability")
# what impls/ may import from bench (the impls contract in .importlinter)
IMPLS_MAY_IMPORT = ("bench.core.interface", "bench.rl.agent", "bench.core.arch", "bench.core.layout")
# package __init__ modules that hold a docstring only: in no layer, and they import nothing
BARE_PACKAGES = ("bench", "bench.rl")


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("bench", "impls", cache_dir=None)


def _under(module: str, packages) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def layers() -> list[list[str]]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    raw = config["importlinter:contract:layers"]["layers"]
    return [[m.strip().strip("()") for m in line.replace("|", ":").split(":")] for line in raw.strip().splitlines()]


def test_every_bench_module_has_a_layer(graph):
    placed = [m for layer in layers() for m in layer]
    bench = sorted(m for m in graph.modules if _under(m, ["bench"]))
    assert len(bench) > 50
    unplaced = [m for m in bench if m not in BARE_PACKAGES and not _under(m, placed)]
    assert not unplaced, f"modules in no layer of .importlinter: {unplaced}"
    for package in BARE_PACKAGES:
        assert not graph.find_modules_directly_imported_by(package), package


def test_impls_reach_only_the_interface_the_architectures_and_the_layout(graph):
    impls = sorted(m for m in graph.modules if _under(m, ["impls"]))
    assert len(impls) > 30
    reached = {m for i in impls for m in graph.find_upstream_modules(i) if _under(m, ["bench"])}
    assert reached and _under("bench.core.arch.resnet50", reached)
    assert sorted(m for m in reached if not _under(m, IMPLS_MAY_IMPORT + BARE_PACKAGES)) == []


def test_no_import_cycles(graph):
    """An import (module-level or inside a function) closes a cycle when its target leads back."""
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if graph.chain_exists(importer=imported, imported=importer):
                cycles.append([importer, *graph.find_shortest_chain(importer=imported, imported=importer)])
    assert cycles == []


def module_level_imports(source: str) -> list[tuple[int, str]]:
    """(line, top-level package) of every import that runs when the module is imported: anything
    outside a function body (class bodies and module-level if/try blocks included), and
    ``importlib.import_module("...")`` / ``__import__("...")`` calls with a literal name."""
    found = []

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.Import):
                found.extend((child.lineno, a.name.split(".")[0]) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append((child.lineno, child.module.split(".")[0]))
            elif (
                isinstance(child, ast.Call)
                and child.args
                and isinstance(child.args[0], ast.Constant)
                and isinstance(child.args[0].value, str)
                and ast.unparse(child.func) in ("importlib.import_module", "import_module", "__import__")
            ):
                found.append((child.lineno, child.args[0].value.split(".")[0]))
            visit(child)

    visit(ast.parse(source))
    return found


def test_module_level_import_finder():
    source = textwrap.dedent("""
        import numpy as np, torch.nn
        from tensorflow import keras
        if True:
            import jax
        class A:
            import tf_keras
        def f():
            import keras
            from torch import nn
        g = lambda: __import__("tensorflow_probability")
        h = importlib.import_module("torch")
        from . import sibling
    """)
    assert module_level_imports(source) == [
        (2, "numpy"),
        (2, "torch"),
        (3, "tensorflow"),
        (5, "jax"),
        (7, "tf_keras"),
        (12, "torch"),
    ]


def test_no_framework_imported_at_module_level_in_bench():
    files = sorted((ROOT / "bench").rglob("*.py"))
    assert len(files) > 50
    bad = [
        f"{f.relative_to(ROOT)}:{line} imports {pkg}"
        for f in files
        for line, pkg in module_level_imports(f.read_text())
        if pkg in FRAMEWORKS
    ]
    assert bad == []


def test_importing_all_of_bench_loads_no_framework():
    """The same rule at run time, through third-party imports too: a fresh interpreter imports
    every module of bench and every spec, and no framework is loaded."""
    code = textwrap.dedent(f"""
        import importlib, pkgutil, sys
        import bench
        from bench import specs
        names = [m.name for m in pkgutil.walk_packages(bench.__path__, "bench.")]
        for name in names:
            importlib.import_module(name)
        specs.all_specs()
        print(len(names), sorted(m for m in {FRAMEWORKS!r} if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    count, loaded = out.stdout.split(" ", 1)
    assert int(count) > 50 and loaded.strip() == "[]"


TENSORFLOW = ("tensorflow", "tf_keras", "tensorflow_probability")


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at module level or inside a function."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module)
    return out


def test_no_keras_implementation_imports_tensorflow():
    """Keras runs every implementation on TensorFlow, JAX and PyTorch: nothing under impls/keras
    imports TensorFlow, directly, or through the modules of bench and impls it imports (function-
    level imports counted; the same rule as the keras-engines contract of .importlinter)."""
    files = sorted((ROOT / "impls" / "keras").glob("*.py"))
    assert len(files) > 10
    direct = {f.name: sorted(m for m in imported_modules(f) if m.split(".")[0] in TENSORFLOW) for f in files}
    assert {k: v for k, v in direct.items() if v} == {}
    graph = grimp.build_graph("bench", "impls", include_external_packages=True, cache_dir=None)
    chains = {
        tf: graph.find_shortest_chain(importer="impls.keras", imported=tf, as_packages=True)
        for tf in TENSORFLOW
        if tf in graph.modules
    }
    assert "tensorflow" in chains and {tf: c for tf, c in chains.items() if c} == {}


def layer_of(module: str) -> int:
    """The index of ``module``'s layer in .importlinter (0: the top)."""
    for i, layer in enumerate(layers()):
        if _under(module, layer):
            return i
    raise AssertionError(f"{module} is in no layer")


def modules_named_in_strings(path: Path, known: set[str]) -> set[str]:
    """The modules of bench a file names in a string (``importlib.import_module(NAME)``, ``python
    -m NAME``, a table of drivers): loads that grimp cannot see. Docstrings are left out."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and id(node) not in docstrings and node.value in known
    }


def test_no_module_loaded_by_name_sits_above_its_loader(graph):
    known = {m for m in graph.modules if _under(m, ["bench"]) and m not in BARE_PACKAGES}
    arrows = []
    for f in sorted((ROOT / "bench").rglob("*.py")):
        parts = f.relative_to(ROOT).with_suffix("").parts
        source = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for target in modules_named_in_strings(f, known):
            arrows.append((source, target))
    assert ("bench.train.runner", "bench.train.supervised") in arrows  # the drivers' table: the check sees it
    up = [(s, t) for s, t in arrows if s in known and layer_of(t) < layer_of(s)]
    assert up == []
