from __future__ import annotations

import argparse
import os

from scratchenv.commands import settings_from
from scratchenv.commands.verify import add_need_flag, add_report_flags, emit

HELP = ("the pre-submission checklist: project data, venv, Cargo, rustup, uv and pip on "
        "scratch; home under its limit; room on scratch")


def configure(parser: argparse.ArgumentParser) -> None:
    add_need_flag(parser)
    add_report_flags(parser)


def run(args: argparse.Namespace) -> int:
    from scratchenv.checks.verify import checklist_checks, verify

    settings = settings_from(args)
    report = verify(settings, os.environ, need=args.need, checks=checklist_checks(settings))
    return emit(report, args, title="scratchenv checklist")
