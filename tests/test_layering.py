"""The package's layers: imports flow down only, and there are no cycles.

Every import in scratchenv (module level, inside functions, under TYPE_CHECKING) is read
with `ast`. A module may import from its own package or from a strictly lower layer; two
packages in one layer never import each other. The layers are written once, here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "scratchenv"

# Lowest first. Each name is a top-level module or subpackage of scratchenv.
LAYERS: list[set[str]] = [
    {"__init__", "errors"},
    {"locations", "units", "plain"},
    {"fsutil", "realpaths", "output", "proc", "install"},
    {"config", "error_handler", "removal"},
    {"disk"},
    {"plan"},
    {"shells"},
    {"login", "checkpoints", "bootstrap"},
    {"checks"},
    {"home", "slurm"},
    {"commands"},
    {"main"},
    {"__main__"},
]
RANK = {unit: rank for rank, layer in enumerate(LAYERS) for unit in layer}


def unit_of(module: str) -> str:
    """scratchenv.checks.verify -> checks; scratchenv -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The scratchenv modules `path` imports: `from scratchenv.x import y` counts as the
    module x.y when there is one, else as x."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("scratchenv"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "scratchenv":
                continue
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in modules else node.module)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(path) for path in paths}
    return {module_name(path): imports_of(path, modules) for path in paths}


def test_every_unit_has_a_layer():
    units = {unit_of(module) for module in import_graph()}
    assert units - RANK.keys() == set(), "add the new module or package to LAYERS"


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    problems = []
    for module, targets in graph.items():
        here = unit_of(module)
        for target in sorted(targets):
            there = unit_of(target)
            if there != here and RANK[there] >= RANK[here]:
                problems.append(f"{module} imports {target} ({there} is not below {here})")
    return problems


def test_imports_only_go_down():
    assert upward_imports(import_graph()) == []


def test_the_layering_check_catches_a_back_import():
    graph = import_graph()
    graph["scratchenv.config.settings"].add("scratchenv.login.activate")
    assert upward_imports(graph) == [
        "scratchenv.config.settings imports scratchenv.login.activate "
        "(login is not below config)"]


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle between modules, or None."""
    # a package's __init__ counts as importing nothing of its own children here: Python
    # imports the parent first, so `scratchenv.checkpoints` -> `.api` -> `.directories`
    # is no cycle even though `.api` names its parent package.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if target not in graph or module.startswith(target + "."):
                continue
            if state.get(target) == 1:
                return [*stack[stack.index(target):], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_cycles():
    assert cycle(import_graph()) is None


def test_the_cycle_check_catches_a_cycle():
    graph = import_graph()
    graph["scratchenv.checks.findings"].add("scratchenv.checks.verify")
    found = cycle(graph)
    assert found is not None and "scratchenv.checks.verify" in found


@pytest.mark.parametrize("args", [["activate"], ["activate", "--shell", "bash"]])
def test_the_login_fast_path_imports_only_the_standard_library(tmp_path, args):
    """With a fresh activation file, `scratchenv activate` loads nothing outside the standard
    library and only the few scratchenv modules of the fast path."""
    env = {"HOME": str(tmp_path / "home"), "SCRATCHENV_ROOT": str(tmp_path / "scratch"),
           "PATH": "/usr/bin:/bin", "SHELL": "/bin/bash"}
    (tmp_path / "scratch").mkdir()
    probe = (
        "import sys, io, contextlib\n"
        "before = set(sys.modules)\n"
        "from scratchenv.main import main\n"
        f"out = io.StringIO()\n"
        f"with contextlib.redirect_stdout(out):\n"
        f"    assert main({args!r}) == 0\n"
        "loaded = sorted(set(sys.modules) - before)\n"
        "outside = [m for m in loaded if m.split('.')[0] not in sys.stdlib_module_names\n"
        "           and not m.startswith('scratchenv')]\n"
        "ours = [m for m in loaded if m.startswith('scratchenv')]\n"
        "print(repr((outside, ours)))\n"
    )

    def run() -> tuple[list[str], list[str]]:
        done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path,
                              capture_output=True, text=True, check=True)
        return ast.literal_eval(done.stdout.strip().splitlines()[-1])

    run()  # the first call writes the file (the slow path)
    outside, ours = run()
    assert outside == []
    assert set(ours) <= {"scratchenv", "scratchenv.main",  # the command's own start
                         "scratchenv.login", "scratchenv.login.activate", "scratchenv.locations",
                         "scratchenv.errors", "scratchenv.shells", "scratchenv.shells.registry",
                         "scratchenv.config", "scratchenv.config.reading",
                         "scratchenv.config.allowlist", "scratchenv.config.hosts"}
