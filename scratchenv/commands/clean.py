from __future__ import annotations

import argparse

from scratchenv.commands import consent_flags, go_ahead, settings_from

HELP = "remove the scratch locations of caches, envs, toolchains, data or runs (a dry run " \
       "unless --apply)"


def configure(parser: argparse.ArgumentParser) -> None:
    from scratchenv.home.clean import GROUPS, UNSYNCED_FLAG

    parser.add_argument("what", nargs="?", choices=tuple(GROUPS), default="caches",
                        help="which group (default: caches, what the tools rebuild or "
                             "download again unasked); `all` needs --yes without a terminal")
    consent_flags(parser, "remove")
    parser.add_argument(UNSYNCED_FLAG, dest="delete_unsynced_runs", action="store_true",
                        help="also remove W&B offline runs never synced (kept by default: "
                             "they exist nowhere else)")
    parser.add_argument("--delete", action="append", default=[], metavar="PATH",
                        help="also remove this kept checkpoint, model or made directory "
                             "(the path the dry run lists as kept); repeatable")


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.disk.usage import scan
    from scratchenv.errors import ConfigError
    from scratchenv.home import clean
    from scratchenv.plan import build_plan
    from scratchenv.units import counted, format_size

    plan = build_plan(settings_from(args))
    targets = clean.targets(plan, args.what, delete_unsynced_runs=args.delete_unsynced_runs,
                            delete=args.delete)
    unknown = clean.unmatched(targets, args.delete)
    if unknown:
        raise ConfigError(f"--delete {unknown[0]}: not a checkpoint, model or made directory "
                          f"that `scratchenv clean {args.what}` keeps; nothing removed")
    present = [t for t in targets if t.exists and not t.problem]
    refused = [t for t in targets if t.exists and t.problem]
    verb = "goes" if args.apply else "would go"
    for group, word in clean.WORDS.items():
        mine = [t for t in present if t.group == group]
        if not mine:
            continue
        rows, kept_rows, total, files = [], [], 0, 0
        for target in mine:
            whole = next((k for k in target.keep if k.path == target.path), None)
            if whole is not None:
                kept_rows.append(("  kept", target.path, "", f"{target.var}: {whole.why}"))
                continue
            kept = [(k, scan(k.path)) for k in target.keep]
            usage = scan(target.path, exclude=[k.path for k, _ in kept])
            total += usage.bytes
            files += usage.files
            rows.append(("  " + target.var, target.path, format_size(usage.bytes),
                         f"{usage.files:,}"))
            kept_rows += [("  kept", k.path, format_size(u.bytes), k.why) for k, u in kept]
        output.say(f"{word}: {format_size(total)} in {counted(files, 'file')} {verb}")
        output.table(rows + kept_rows)
    if not present:
        output.say(f"nothing to clean: no {args.what} location exists under "
                   f"{' or '.join(plan.roots)}")
    for target in refused:
        output.warn(f"{target.var}: {target.path}: {target.problem}")
    sweeping = args.what == "all"
    if not present or not go_ahead(
            args, "remove all of these?" if sweeping else "remove these?",
            needs_yes="clean all removes every location above" if sweeping else None):
        if present:
            output.say(f"dry run: nothing removed; `scratchenv clean {args.what} --apply` "
                       "removes these")
        return 1 if refused else 0
    for target in present:
        if any(k.path == target.path for k in target.keep):
            continue  # kept whole, said above
        clean.remove(target)
        output.say(f"removed {target.path}" + (" (except what is kept above)"
                                                if target.keep else ""))
    return 1 if refused else 0
