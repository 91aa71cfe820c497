from __future__ import annotations

import argparse
import os

from scratchenv.commands import global_flags, settings_from
from scratchenv.errors import ScratchenvError
from scratchenv.login.activate import SHELL_NAMES, default_shell, fallback_file, write_activation

HELP = "print the path of an up-to-date activation file: source \"$(scratchenv activate)\""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--shell", choices=SHELL_NAMES,
                        help="default: from $SHELL; sh for shells it does not know")


def run(args: argparse.Namespace) -> int:
    from scratchenv import output

    shell = args.shell or default_shell(os.environ)
    try:
        from scratchenv.plan import build_plan

        path = write_activation(shell, build_plan(settings_from(args)), os.environ,
                                global_flags(args))
    except (ScratchenvError, OSError) as problem:
        # A login must not lose its environment because the config broke since the last
        # good file, or home is read-only on this node: keep using that file, say why. Only
        # a file of the same inputs but for the config: never another root's environment.
        stale = fallback_file(shell, os.environ, global_flags(args))
        if stale is None:
            if isinstance(problem, OSError):
                where = problem.filename or "the activation file"
                raise ScratchenvError(f"cannot write {where}: {problem.strerror}") from None
            raise
        reason = problem.strerror if isinstance(problem, OSError) else problem
        output.warn(f"{reason}; using the previous activation file {stale}")
        path = stale
    output.say(path)
    return 0
