"""`scratchenv deny [PATH]`: never read a .env.local, and stop saying it is ignored."""

from __future__ import annotations

import argparse
import os

HELP = "never read .env.local (in PATH, default here), and stop mentioning it"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".",
                        help="the .env.local file or its directory (default: here)")


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.config import trust

    output.say(f"denied {trust.deny(args.path, os.environ)}")
    return 0
