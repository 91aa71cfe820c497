"""The Plan is the one source of truth below the commands.

A command builds the settings and the Plan once and passes the Plan down; library code
never calls `build_plan` again and never asks the settings what the Plan already says
(which root a group is on, whether a root is purged, the thresholds). Two places deciding
drift apart: prune-orphans once deleted against the scratch root while the checkpoints were
on the persistent root. Read with `ast`, like tests/test_layering.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "scratchenv"

ABOVE = ("commands/", "config/", "plan.py", "main.py", "__main__.py")
"""Where the settings are built and the Plan is made from them (and the entry above)."""

ENTRY_POINTS = {
    "checkpoints/api.py": "the public Python API a Trainer script calls: it has no command "
                          "above it, so it loads the settings and builds the Plan itself",
}
"""Modules below the commands that may build a Plan, and why."""

SETTINGS_INPUTS = {
    "login/recorded.py": "the start-up cache's key: the places the settings were decided "
                         "from (the cluster, scratch_subdir), which are inputs of the settings, "
                         "not decisions the Plan carries",
    "login/resolution.py": "keeps a Plan under recorded.py's key, which it reads from the "
                           "settings the Plan was built from",
}
"""Modules that may take Settings for what is not a decision (still never a field the Plan
carries, nor build_plan)."""

CARRIED = {
    "thresholds", "purge", "login", "checkpoints", "project_layout", "project",
    "scratch_root", "root", "persistent_root", "persistent_pattern", "root_pattern",
    "tiers", "tier_of", "root_for", "keeps_times", "home", "catalogue", "missing_root",
    "keep_site_values", "node_local", "activate_venv", "quota_source",
}
"""Settings fields (and derived methods) whose decision the Plan carries."""


def _library_modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py")
                  if not str(path.relative_to(PACKAGE)).startswith(ABOVE)
                  and str(path.relative_to(PACKAGE)) not in ENTRY_POINTS)


def _is_settings(node: ast.expr) -> bool:
    """`settings` or `<anything>.settings`: what library code would read Settings through."""
    return (isinstance(node, ast.Name) and node.id == "settings") or (
        isinstance(node, ast.Attribute) and node.attr == "settings")


def _annotated_settings(node: ast.expr | None) -> bool:
    return node is not None and any(
        isinstance(part, ast.Name) and part.id == "Settings"
        or isinstance(part, ast.Constant) and part.value == "Settings"
        for part in ast.walk(node))


def problems_in(text: str, where: str) -> list[str]:
    """What `text` (the module at `where`) does that only a command may do."""
    settings_param_flagged = where not in SETTINGS_INPUTS
    found = []
    for node in ast.walk(ast.parse(text, where)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name == "build_plan":
                found.append(f"{where}:{node.lineno} calls build_plan (take the Plan)")
        elif isinstance(node, ast.Attribute) and node.attr in CARRIED and \
                _is_settings(node.value):
            found.append(f"{where}:{node.lineno} reads settings.{node.attr} (the Plan has it)")
        elif isinstance(node, ast.arg) and settings_param_flagged and \
                _annotated_settings(node.annotation):
            found.append(f"{where}:{node.lineno} takes Settings as {node.arg} (take the Plan)")
        elif isinstance(node, ast.AnnAssign) and _annotated_settings(node.annotation):
            found.append(f"{where}:{node.lineno} holds Settings (hold the Plan)")
    return found


def test_library_code_takes_the_plan_and_never_rebuilds_it():
    problems = [problem for path in _library_modules()
                for problem in problems_in(path.read_text(), str(path.relative_to(PACKAGE)))]
    assert problems == []


def test_the_check_sees_a_rebuilt_plan_and_a_settings_read():
    """The reader has teeth: each kind of problem is found in a module written to have it."""
    sample = (
        "from __future__ import annotations\n"
        "def check(settings: Settings, ctx) -> None:\n"
        "    plan = build_plan(settings)\n"
        "    limit = ctx.settings.thresholds.min_free\n"
        "    root = settings.root_for('checkpoints')\n"
        "    name = settings.model_fields\n"  # not a decision the Plan carries
        "    size = plan.thresholds.min_free\n"
    )
    found = sorted(problems_in(sample, "checks/sample.py"),
                   key=lambda problem: int(problem.split(":")[1].split(" ")[0]))
    assert [problem.split(" ", 1)[1] for problem in found] == [
        "takes Settings as settings (take the Plan)",
        "calls build_plan (take the Plan)",
        "reads settings.thresholds (the Plan has it)",
        "reads settings.root_for (the Plan has it)",
    ]
