"""`scratchenv revoke [PATH]`: forget an allow or deny; the .env.local is ignored again."""

from __future__ import annotations

import argparse
import os

HELP = "forget that .env.local (in PATH, default here) was allowed or denied"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".",
                        help="the .env.local file or its directory (default: here)")


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.config import trust

    path, known = trust.revoke(args.path, os.environ)
    output.say(f"revoked {path}" if known else f"{path} was neither allowed nor denied")
    return 0
