"""docs/architecture.md is true to the code: its tree names every module of bench/ and nothing
that does not exist, and every file on the path of a setting exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"


def tree_block(text: str) -> list[str]:
    """The lines of the first fenced block that starts with ``bench/``, up to the first line that
    leaves bench/ (no indentation, not bench/)."""
    for block in re.findall(r"```\n(.*?)```", text, flags=re.S):
        lines = block.splitlines()
        if lines and lines[0].startswith("bench/"):
            out = [lines[0]]
            for line in lines[1:]:
                if not line.startswith(" "):
                    break
                out.append(line)
            return out
    raise AssertionError("docs/architecture.md has no tree of bench/")


def named_paths(lines: list[str]) -> set[str]:
    """Every file and folder the tree names, as paths relative to the repository (two spaces of
    indentation a level; the first word of a line is its name)."""
    stack: list[str] = []
    out = set()
    for line in lines:
        depth = (len(line) - len(line.lstrip(" "))) // 2
        name = line.split()[0]
        del stack[depth:]
        path = "/".join([*stack, name.rstrip("/")])
        out.add(path)
        if name.endswith("/"):
            stack.append(name.rstrip("/"))
    return out


def actual_paths() -> set[str]:
    out = set()
    for p in (ROOT / "bench").rglob("*"):
        if "__pycache__" in p.parts or p.name == "__init__.py":
            continue
        if p.is_dir() or p.suffix in (".py", ".j2"):
            out.add(str(p.relative_to(ROOT)))
    return out | {"bench"}


def test_the_tree_names_every_module_and_no_other():
    named = named_paths(tree_block(DOC.read_text()))
    actual = actual_paths()
    assert len(actual) > 100
    assert sorted(actual - named) == [], "modules of bench/ missing from docs/architecture.md's tree"
    assert sorted(named - actual) == [], "docs/architecture.md's tree names modules that do not exist"


def test_the_tree_reader_sees_a_missing_and_an_extra_module():
    lines = ["bench/  the harness", "  cli/  commands", "    main.py  the parser", "  config.py  RunConfig"]
    assert named_paths(lines) == {"bench", "bench/cli", "bench/cli/main.py", "bench/config.py"}
    actual = actual_paths()
    assert "bench/cli/run.py" in actual - named_paths(lines)
    assert "bench/cli/nothing.py" in named_paths([*lines[:2], "    nothing.py  gone"]) - actual


def test_every_file_on_the_path_of_a_setting_exists():
    text = DOC.read_text()
    section = text.split("## A run, end to end: how a setting travels", 1)[1].split("## ", 1)[0]
    files = re.findall(r"\b(bench/[\w/]+\.py)", section)
    assert len(set(files)) >= 7
    assert [f for f in files if not (ROOT / f).is_file()] == []
    hops = re.findall(r"^\d+ ", section.split("```", 2)[1], flags=re.M)
    assert 0 < len(hops) <= 8
