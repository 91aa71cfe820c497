"""`scratchenv revoke [PATH]`: forget an allow or deny; the .env.local is ignored again."""

from __future__ import annotations

import argparse
import os

from scratchenv.commands.allow import configure  # the same PATH argument

__all__ = ["HELP", "configure", "run"]

HELP = "forget that .env.local (in PATH, default here) was allowed or denied"


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.config import trust

    path, known = trust.revoke(args.path, os.environ)
    output.say(f"revoked {path}" if known else f"{path} was neither allowed nor denied")
    return 0
