"""`scratchenv allow [PATH]`: trust a .env.local as it is now (direnv's `allow`)."""

from __future__ import annotations

import argparse
import os

HELP = "let .env.local (in PATH, default here) take effect, as it is now"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".",
                        help="the .env.local file or its directory (default: here)")


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.config import trust

    path = trust.allow(args.path, os.environ)
    output.say(f"allowed {path} (any change to it needs `scratchenv allow` again)")
    return 0
