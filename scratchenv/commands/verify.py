from __future__ import annotations

import os

from scratchenv.commands import global_flags, plan_from

TYPE_CHECKING = False  # not `typing`: verify's fast path does without it
if TYPE_CHECKING:
    import argparse

    from scratchenv.checks.findings import Report

HELP = "check the live environment and disk against the settings (exit 1 on any failure)"


def add_report_flags(parser: argparse.ArgumentParser) -> None:
    """--format/--json/--verbose, shared by verify and checklist."""
    parser.add_argument("--format", choices=("human", "json", "markdown", "junit"),
                        default="human", help="human checklist (default), json, "
                        "markdown (- [x] list for CI summaries), junit (CI test reports)")
    parser.add_argument("--json", action="store_const", const="json", dest="format",
                        help="same as --format json (schema: README, 'verify --json')")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="human format: list every check; without it, only warnings "
                        "and failures, then a summary line")


def add_need_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--need", metavar="SIZE", type=_size,
                        help="free space the scratch root must have, e.g. 30G "
                        "(default: thresholds.min_free)")


def add_script_flag(parser: argparse.ArgumentParser) -> None:
    from pathlib import Path

    parser.add_argument("--script", metavar="FILE", type=Path,
                        help="a job script to check: a line that points a managed variable "
                        "at home, unsets one, or puts a venv in home fails (exit 1)")
    parser.add_argument("--strict", action="store_true",
                        help="with --script: a line whose effect cannot be told statically "
                        "(eval, source of an unknown file, $(...)) fails instead of warning")


def configure(parser: argparse.ArgumentParser) -> None:
    add_need_flag(parser)
    parser.add_argument("--deep", action="store_true",
                        help="also ask pip, uv, huggingface_hub, torch, ... where they write")
    add_script_flag(parser)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--node", action="store_true",
                       help="what matters on a compute node, in seconds (job scripts run it)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print nothing when every check passes (job guards use it)")
    where.add_argument("--all-nodes", action="store_true",
                       help="inside an allocation: --node on every node via srun, a row each")
    add_report_flags(parser)


def alone() -> argparse.Namespace:
    """The arguments of `scratchenv verify` given no flag, as the parser makes them (a test
    holds the two alike): main runs the command so, without importing argparse."""
    from types import SimpleNamespace

    return SimpleNamespace(  # type: ignore[return-value]
        root=None, project=None, config=None, debug=False, need=None, deep=False,
        script=None, strict=False, node=False, quiet=False, all_nodes=False,
        format="human", verbose=False)


def run(args: argparse.Namespace) -> int:
    from scratchenv.checks.verify import verify

    if args.all_nodes:
        return _all_nodes(args)
    checks = None
    if args.node:
        from scratchenv.checks.node import NODE_CHECKS

        checks = NODE_CHECKS
    report = verify(plan_from(args), os.environ, need=args.need, deep=args.deep,
                    script=args.script, strict=args.strict, checks=checks)
    title = "scratchenv verify --node" if args.node else "scratchenv verify"
    return emit(report, args, title=title)


def _all_nodes(args: argparse.Namespace) -> int:
    """`verify --node --json` once per node through srun; one row per node."""
    from scratchenv import output
    from scratchenv.commands.init import scratchenv_command
    from scratchenv.slurm import submit as slurm

    flags = ([f"--need={args.need}"] if args.need is not None else []) + (
        ["--deep"] if args.deep else [])
    nodes = slurm.verify_all_nodes(scratchenv_command() + global_flags(args), os.environ,
                                   flags=flags)
    output.table(slurm.node_rows(nodes), headers=("NODE", "RESULT", "DETAIL"))
    return 0 if all(node.report is not None and node.report.ok for node in nodes) else 1


def emit(report: Report, args: argparse.Namespace, *, title: str) -> int:
    """Print `report` in the chosen format; the exit code: 0 ok, 1 any failure."""
    from scratchenv import output
    from scratchenv.checks.report import render

    if getattr(args, "quiet", False) and report.ok:
        return 0
    text = render(report, args.format, title=title, verbose=args.verbose)
    # Read by a person (a terminal, a job log): shown escaped. JSON and JUnit escape for
    # themselves and stay byte-exact.
    if args.format in ("human", "markdown"):
        output.show(text)
    else:
        output.write(text)
    return 0 if report.ok else 1


def _size(text: str) -> int:
    import argparse

    from scratchenv.units import parse_size

    try:
        return parse_size(text)
    except Exception as error:  # argparse turns this into a usage error (exit 2)
        raise argparse.ArgumentTypeError(str(error)) from None
