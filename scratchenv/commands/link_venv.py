from __future__ import annotations

import argparse

from scratchenv.commands import settings_from

HELP = "keep a checkout's .venv on scratch: make .venv a link to a directory under the root " \
       "(an existing .venv moves there first)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkout", nargs="?", metavar="DIR",
                        help="the checkout (default: the git top level of the working "
                             "directory, else the working directory)")


def run(args: argparse.Namespace) -> int:
    import os

    from scratchenv import output
    from scratchenv.checkpoints.identity import identify
    from scratchenv.errors import ConfigError
    from scratchenv.home import migrate, venvs
    from scratchenv.plan import build_plan
    from scratchenv.units import counted

    plan = build_plan(settings_from(args))
    checkout = os.path.abspath(args.checkout) if args.checkout else identify().worktree
    if not os.path.isdir(checkout):
        raise ConfigError(f"{args.checkout}: not a directory")
    venv = os.path.join(checkout, venvs.NAME)
    if os.path.isdir(venv) and not os.path.islink(venv):
        # A real .venv: moved with migrate's engine, which leaves the link.
        keep_times = plan.keeps_times()  # as migrate: a purge must see moved files as new
        steps = migrate.prepare(plan, [venvs.TOOL], [venvs.move_for(plan, checkout)],
                                keep_times=keep_times)
        results = migrate.apply(plan, steps, keep_times=keep_times)
        left = sum(result.left_behind for result in results)
        for result in results:
            output.say(f"{venv}: moved {counted(result.outcome.moved, 'file')} to "
                       f"{result.step.move.dest}" + ("; linked" if result.linked else ""))
            for note in result.notes:
                output.say(f"    {note}")
        if left:
            output.warn(f"{left:,} entries stay in {venv}: see `scratchenv migrate venvs`")
            return 1
        return 0
    output.say(venvs.link(plan, checkout))
    return 0
