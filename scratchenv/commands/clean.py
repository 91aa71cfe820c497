from __future__ import annotations

import argparse

from scratchenv.commands import settings_from

HELP = "remove the scratch locations of caches, toolchains, data or the venv (a dry run " \
       "unless --apply)"


def configure(parser: argparse.ArgumentParser) -> None:
    from scratchenv.home.clean import GROUPS

    parser.add_argument("what", nargs="?", choices=tuple(GROUPS), default="caches",
                        help="which locations (default: caches)")
    parser.add_argument("--apply", action="store_true", help="remove (default: show what)")
    parser.add_argument("--yes", action="store_true", help="do not ask before `all`")


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.disk.usage import scan
    from scratchenv.errors import ConfigError, ScratchenvError
    from scratchenv.home import clean
    from scratchenv.plan import build_plan
    from scratchenv.units import format_size

    plan = build_plan(settings_from(args))
    targets = clean.targets(plan, args.what)
    present = [t for t in targets if t.exists and not t.problem]
    refused = [t for t in targets if t.exists and t.problem]
    rows = []
    for target in present:
        usage = scan(target.path)
        rows.append((target.group, target.var, target.path, format_size(usage.bytes),
                     f"{usage.files:,}"))
    if rows:
        output.table(rows, headers=("GROUP", "VARIABLE", "PATH", "SIZE", "FILES"))
    else:
        output.say(f"nothing to clean: no {args.what} location exists under "
                   f"{' or '.join(plan.roots)}")
    for target in refused:
        output.warn(f"{target.var}: {target.path}: {target.problem}")
    if not args.apply:
        if present:
            output.say(f"dry run: nothing removed; `scratchenv clean {args.what} --apply` "
                       "removes these")
        return 1 if refused else 0
    if present and args.what == "all" and not args.yes:
        if not output.interactive():
            raise ConfigError("clean all removes every location above; add --yes to "
                                  "confirm (no terminal to ask on)")
        if not output.confirm("remove all of these?"):
            raise ScratchenvError("not confirmed: nothing removed")
    for target in present:
        clean.remove(target)
        output.say(f"removed {target.path}")
    return 1 if refused else 0
