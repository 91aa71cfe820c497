"""`scratchenv deny [PATH]`: never read a .env.local, and stop saying it is ignored."""

from __future__ import annotations

import argparse
import os

from scratchenv.commands.allow import configure  # the same PATH argument

__all__ = ["HELP", "configure", "run"]

HELP = "never read .env.local (in PATH, default here), and stop mentioning it"


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.config import trust

    output.say(f"denied {trust.deny(args.path, os.environ)}")
    return 0
