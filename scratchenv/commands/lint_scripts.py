"""`scratchenv lint-scripts FILE...`: the job-script linter alone, for pre-commit and CI."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = ("check job scripts for lines that point a managed variable at home, unset one, or "
        "put a venv in home; file:line: message, exit 1 on any (no activation needed); "
        "what cannot be told statically is a warning (a failure with --strict)")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path,
                        help="job scripts (*.slurm, *.sbatch, *.sh)")
    parser.add_argument("--strict", action="store_true",
                        help="a line whose effect cannot be told statically (eval, source of "
                        "an unknown file, $(...)) fails instead of warning")


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.checks import script

    names, home, venv_var = _managed(args)
    count = warnings = 0
    for path in args.files:
        text = script.read(path)
        for problem in script.lint(text, names=names, home=home, venv_var=venv_var,
                                   script_dir=str(path.resolve().parent)):
            failing = args.strict or problem.severity == "fail"
            label = "" if failing else "warning: "
            output.write(f"{path}:{problem.line}: {label}{problem.message}\n"
                         f"{path}:{problem.line}:     fix: {problem.fix}\n")
            count += failing
            warnings += not failing
    if count or warnings:
        output.write_err(f"scratchenv lint-scripts: {count} problem(s), {warnings} warning(s) "
                         f"in {len(args.files)} file(s)\n")
    return 1 if count else 0


def _managed(args: argparse.Namespace) -> tuple[set[str], str, str]:
    """(managed variable names, home, the project's venv variable) from the settings; from
    the shipped catalogue when there are none to load (no scratch root here: CI, pre-commit)."""
    import os

    from scratchenv.checks import script
    from scratchenv.commands import settings_from
    from scratchenv.config.catalogue import load_default
    from scratchenv.config.detect import NO_ROOT
    from scratchenv.config.records import DEFAULT_VENV_VAR
    from scratchenv.config.settings import default_project_var
    from scratchenv.errors import ConfigError
    from scratchenv.locations import home_dir
    from scratchenv.plan import build_plan

    try:
        settings = settings_from(args)
    except ConfigError as error:
        if not str(error).startswith(NO_ROOT):
            raise  # a broken config is reported, not quietly replaced
        names = {entry.var for entry in load_default().entries if entry.anchor != "home"}
        project = args.project or os.environ.get("SCRATCHENV_PROJECT")
        if project:
            names.add(default_project_var(project))
        venv_var = DEFAULT_VENV_VAR
        return names | {venv_var}, home_dir(os.environ), venv_var
    plan = build_plan(settings)
    layout = settings.project_layout
    return (set(script.managed_names(plan)), plan.home,
            layout.venv_var if layout else DEFAULT_VENV_VAR)
