from __future__ import annotations

import argparse
import os
from pathlib import Path

from scratchenv.commands import settings_from

HELP = "create the catalogue directories, the project venv and rustup + Cargo under scratch"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--venv", action="store_true",
                        help="only the venv (and directories); default: venv and rust")
    parser.add_argument("--rust", action="store_true",
                        help="only rustup + Cargo (and directories); default: venv and rust")
    parser.add_argument("-r", "--requirements", type=Path, metavar="FILE",
                        help="pip requirements to install into the venv")
    parser.add_argument("--python", metavar="PY",
                        help="interpreter for the venv: path or name (default: python3)")
    uv = parser.add_mutually_exclusive_group()
    uv.add_argument("--uv", dest="use_uv", action="store_true", default=None,
                    help="make the venv with uv (default: when uv is available)")
    uv.add_argument("--no-uv", dest="use_uv", action="store_false",
                    help="use python -m venv and pip even when uv is available")
    parser.add_argument("--rustup-init", metavar="PATH",
                        help="the rustup installer (default: rustup-init on PATH, else the "
                             "`rustup` package from PyPI)")
    parser.add_argument("--toolchain", default="stable", metavar="NAME",
                        help="Rust toolchain to install and make the default; `none` installs "
                             "rustup alone (default: stable, which needs the internet)")
    parser.add_argument("--repair", action="store_true",
                        help="rebuild what is broken (e.g. a venv whose python no longer runs)")
    parser.add_argument("--dry-run", action="store_true",
                        help="show what would be done, change nothing")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="every item (each directory, what was kept) and the tools' output")


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.bootstrap.run import Options, bootstrap
    from scratchenv.errors import ScratchenvError
    from scratchenv.plan import build_plan

    everything = not (args.venv or args.rust)
    plan = build_plan(settings_from(args))
    options = Options(
        # Without --venv, the venv is made only when there is a project to make it for.
        venv=args.venv or args.requirements is not None
        or (everything and plan.project_layout is not None),
        rust=args.rust or everything,
        requirements=args.requirements,
        python=args.python,
        use_uv=args.use_uv,
        rustup_init=args.rustup_init,
        toolchain=args.toolchain,
        repair=args.repair,
        dry_run=args.dry_run,
        verbose=args.verbose,
    )
    report = bootstrap(plan, os.environ, options)
    for line in report.summary(args.verbose):
        output.say(line)
    problem = report.problem()
    if problem:
        raise ScratchenvError(problem)
    return 0
