from __future__ import annotations

import argparse
import os

from scratchenv.commands import settings_from

HELP = "find what fills home and say what `migrate` would do (exit 1 when migrate has work)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")


def run(args: argparse.Namespace) -> int:
    import json

    from scratchenv import output
    from scratchenv.checkpoints.identity import identify
    from scratchenv.commands.status import changes_lines
    from scratchenv.errors import ConfigError
    from scratchenv.home import doctor, looks
    from scratchenv.home.moves import tilde
    from scratchenv.install import own_install
    from scratchenv.plan import build_plan
    from scratchenv.units import format_size

    plan = build_plan(settings_from(args))
    try:
        identity = identify()
        checkout = identity.worktree if identity.in_git else None
    except ConfigError:  # the working directory is gone: no checkout to look in
        checkout = None
    found = doctor.findings(plan, checkout)
    look = looks.look_now(plan, os.environ)
    if args.json:
        document = doctor.to_json(plan, found)
        document["growth"] = [{"path": c.place.path, "change": c.delta, "writer": c.place.writer,
                               "advice": c.place.advice} for c in look.changes]
        output.write(json.dumps(document, indent=2) + "\n")
        return 1 if doctor.fixable_count(found) else 0
    output.say(f"home: {plan.home}    scratch root: {plan.root}"
               + (f"    persistent root: {plan.persistent_root}" if plan.persistent_root else ""))
    output.say(f"scratchenv runs from {own_install()} (never moved or cleaned)")
    if not found:
        output.say("nothing to fix: no tool's default location in home holds data")
    rows = [("✗" if f.fixable else "!", tilde(f.path, plan.home),
             format_size(f.bytes) if f.bytes else "-", f"{f.files:,}" if f.files else "-",
             f"{f.what}: {f.action}") for f in found]
    if rows:
        output.table(rows, headers=("", "PATH", "SIZE", "FILES", "WHAT AND WHAT TO DO"))
    for line in changes_lines(look):
        output.say(line)
    if plan.purge.days is None:
        output.say("scratch purge age not set (purge.days in config): purge risk not checked")
    else:
        from scratchenv.checks.purge import POLICY

        output.say(f"scratch purges files after {plan.purge.days} days, "
                   f"{POLICY[plan.purge.by]}; migrate gives moved files the current time")
    fixable = doctor.fixable_count(found)
    if fixable:
        from scratchenv.units import counted

        output.say(f"{counted(fixable, 'finding')} `scratchenv migrate` fixes: it shows the "
                   f"plan; `scratchenv migrate --apply` moves {'it' if fixable == 1 else 'them'}")
    return 1 if fixable else 0
