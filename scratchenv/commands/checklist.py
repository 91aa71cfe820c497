from __future__ import annotations

import argparse
import os

from scratchenv.commands import plan_from
from scratchenv.commands.verify import add_need_flag, add_report_flags, add_script_flag, emit

HELP = ("the pre-submission checklist: project data, venv, Cargo, rustup, uv and pip on "
        "scratch; home under its limit; room on scratch")


def configure(parser: argparse.ArgumentParser) -> None:
    add_need_flag(parser)
    add_script_flag(parser)
    add_report_flags(parser)


def run(args: argparse.Namespace) -> int:
    from scratchenv.checks.verify import check_script, checklist_checks, verify

    plan = plan_from(args)
    report = verify(plan, os.environ, need=args.need, script=args.script, strict=args.strict,
                    checks=[*checklist_checks(plan), check_script])
    return emit(report, args, title="scratchenv checklist")
