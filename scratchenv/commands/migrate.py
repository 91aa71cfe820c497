from __future__ import annotations

import argparse

from scratchenv.commands import consent_flags, go_ahead, plan_from

HELP = "move what tools already wrote in home to scratch (shows the plan unless --apply)"
SHOWN = 10
"""Conflicts and failures listed per tool before `... and N more`."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tools", nargs="*", metavar="TOOL",
                        help="catalogue tools (huggingface, pip, cargo, ...) or variables, or "
                             "`venvs` (checkouts' .venv in home); default: everything in home")
    consent_flags(parser, "move")
    parser.add_argument("--link", action="store_true",
                        help="leave a symlink at each old place once it is empty")
    parser.add_argument("--verify", choices=("size", "hash"), default="size",
                        help="check each copy by size and mtime (default) or by content hash "
                             "before removing the original")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar on stderr (default: when stderr is a terminal)")


def _bars(enabled: bool | None):
    from scratchenv import output

    def make(label: str, nbytes: int, nfiles: int):
        bar = output.Progress(label, nbytes, nfiles, enabled=enabled)
        return (bar.advance, bar.close) if bar.enabled else (None, lambda: None)

    return make


def _listed(lines: list[tuple[str, str]], source: str, label: str) -> None:
    from scratchenv import output

    for rel, why in lines[:SHOWN]:
        output.say(f"    {label}: {source}/{rel} ({why})" if rel else f"    {label}: ({why})")
    if len(lines) > SHOWN:
        output.say(f"    ... and {len(lines) - SHOWN:,} more")


def _kept_lines(step, source: str) -> list[str]:
    """What stays on purpose, and why (exit 0: kept by rule, not left by a failure)."""
    assert step.survey is not None
    kept = step.survey.kept
    lines = [f"  {step.move.tool}: keeps {source}/{rel} ({why})" if rel
             else f"  {step.move.tool}: keeps {source} ({why})" for rel, why in kept[:SHOWN]]
    if len(kept) > SHOWN:
        lines.append(f"    ... and {len(kept) - SHOWN:,} more kept")
    return lines


def show_plan(plan, steps, checks, named: bool) -> None:
    from scratchenv import output
    from scratchenv.home import migrate
    from scratchenv.home.moves import existing_keeps, superseded_note, tilde
    from scratchenv.units import format_size

    rows, notes = [], []
    for step in steps:
        source = tilde(step.move.source, plan.home)
        s = step.survey
        if s is not None and s.kept:
            notes += _kept_lines(step, source)
        if step.note or s is None:
            if named or step.kept:
                notes.append(f"  {step.move.tool}: {source}: {step.note}")
            continue
        # The space it takes in home (allocated, as du, quotas and doctor count it), not
        # the survey's apparent bytes: doctor and migrate show one size for one thing.
        assert s.home_bytes is not None  # prepare() asks for it
        rows.append((step.move.tool, source, step.move.dest,
                     format_size(s.home_bytes), f"{len(s.items):,}"))
        there = sum(item.action == "there" for item in s.items)
        older = sum(item.action == "replace" for item in s.items)
        kept = existing_keeps(step.move, plan.home)
        if kept:
            notes.append(f"  {step.move.tool}: leaves {kept}")
        settled = superseded_note(step.superseded, plan.home)
        if settled:
            notes.append(f"  {step.move.tool}: {settled}")
        if there or older or s.conflicts:
            notes.append(f"  {step.move.tool}: merges into {step.move.dest}: {there:,} already "
                         f"there, {older:,} older there (replaced), {len(s.conflicts):,} "
                         "conflicts (both kept)")
        if s.skipped:
            notes.append(f"  {step.move.tool}: {len(s.skipped):,} special or unreadable "
                         "entries stay in home")
    if rows:
        output.table(rows, headers=("TOOL", "FROM", "TO", "SIZE", "FILES"))
    for note in notes:
        output.say(note)
    for check in checks:
        output.say(f"space: {check.describe()}")
    if migrate.interrupted(plan) is not None:
        output.say(f"an interrupted migration was found: `{migrate.rerun_command(plan)}` "
                   "finishes it")


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.errors import Interrupted
    from scratchenv.home import migrate, venvs
    from scratchenv.home.moves import tilde
    from scratchenv.units import counted, format_size

    # Only read a kept plan: a dry run, or a run refused for space, writes nothing.
    plan = plan_from(args, keep=False)
    found = venvs.moves(plan, plan.thresholds.large_venv)
    names = list(args.tools)
    if venvs.TOOL in names and not found:
        output.say(f"{venvs.TOOL}: no checkout's .venv in home over thresholds.large_venv")
        names.remove(venvs.TOOL)
        if not names:
            return 0
    keep_times = plan.keeps_times()  # a purge must see moved files as new
    steps = migrate.prepare(plan, names, found, keep_times=keep_times)
    checks = migrate.space_checks(steps)
    show_plan(plan, steps, checks, bool(names))
    work = [s for s in steps if s.active or (args.link and s.link_only)]
    if args.apply and not work:
        migrate.forget_interrupted(plan)
        output.say("nothing to move")
        return 0
    if not work or not go_ahead(args, "move these to scratch?"):
        output.say("dry run: nothing moved; add --apply to move" if work else "nothing to move")
        return 0 if all(check.ok for check in checks) else 1
    try:
        results = migrate.apply(plan, steps, link=args.link, verify=args.verify,
                                keep_times=keep_times,
                                bar=_bars(args.progress))
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted, nothing lost: `{migrate.rerun_command(plan)}` "
                              "finishes the move") from None
    left = 0
    for result in results:
        step, o = result.step, result.outcome
        if not (step.active or result.linked or result.left_behind or result.notes):
            continue
        source = tilde(step.move.source, plan.home)
        line = (f"{step.move.tool}: moved {counted(o.moved, 'file')} "
                f"({format_size(o.moved_bytes)}) to {step.move.dest}")
        if result.linked:
            line += f"; {source} is now a link to it"
        output.say(line)
        _listed(o.conflicts, source, "conflict, both kept")
        _listed(o.failed, source, "left in home")
        _listed(o.skipped, source, "skipped")
        for note in result.notes:
            output.say(f"    {note}")
        left += result.left_behind
    if left:
        output.warn(f"{left:,} entries stay in home (listed above); nothing was lost")
    return 1 if left else 0
