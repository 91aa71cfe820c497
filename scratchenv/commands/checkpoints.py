from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from scratchenv.commands import settings_from

if TYPE_CHECKING:
    from scratchenv.checkpoints.directories import CheckpointDir
    from scratchenv.config.settings import Settings

HELP = "this worktree's checkpoint directory on scratch: dir, setup, status, cleanup, prune-orphans"


def configure(parser: argparse.ArgumentParser) -> None:
    # --project may come before or after the subcommand; SUPPRESS keeps the global value.
    project = argparse.ArgumentParser(add_help=False)
    project.add_argument(
        "--project", default=argparse.SUPPRESS, metavar="NAME",
        help="a named project's directory instead of this worktree's",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("dir", parents=[project], help="print the directory (creates nothing)")
    actions.add_parser(
        "setup", parents=[project],
        help="create it (0700) and add checkpoint entries to the worktree's .gitignore",
    )
    status = actions.add_parser("status", help="every checkpoint directory of yours")
    status.add_argument("--json", action="store_true", help="as JSON")
    cleanup = actions.add_parser(
        "cleanup", parents=[project],
        help="delete all but the newest N checkpoints (dry run unless --yes)",
    )
    cleanup.add_argument("--keep", type=int, default=2, metavar="N", help="how many (default 2)")
    cleanup.add_argument("--yes", action="store_true", help="really delete")
    prune = actions.add_parser(
        "prune-orphans", help="delete directories whose worktree is gone (dry run unless --yes)"
    )
    prune.add_argument("--yes", action="store_true", help="really delete")


def run(args: argparse.Namespace) -> int:
    # The checkpoint project is only the --project flag: SCRATCHENV_PROJECT names the cache
    # layout for every worktree, and using it here would make all worktrees share one.
    project = getattr(args, "project", None)
    settings = settings_from(argparse.Namespace(**{**vars(args), "project": None}))
    action = {
        "dir": _dir,
        "setup": _setup,
        "status": _status,
        "cleanup": _cleanup,
        "prune-orphans": _prune,
    }[args.action]
    return action(settings, args, project)


def _dir(settings: Settings, args: argparse.Namespace, project: str | None) -> int:
    from scratchenv import output
    from scratchenv.checkpoints import directories as checkpoints

    found = checkpoints.resolve(settings, checkpoints.identify(project))
    if found.taken_by:
        output.warn(_collision_note(found))
    output.say(str(found.path))
    return 0


def _collision_note(found: CheckpointDir) -> str:
    return (f"id {found.identity.id!r} is taken by {found.taken_by}; "
            f"this {'project' if found.identity.project else 'worktree'} uses {found.id!r}")


def _setup(settings: Settings, args: argparse.Namespace, project: str | None) -> int:
    from scratchenv import output
    from scratchenv.checkpoints import directories as checkpoints

    result = checkpoints.setup(settings, checkpoints.identify(project))
    found = result.directory
    if found.taken_by:
        output.say(f"note: {_collision_note(found)}")
    owner = f"project {project!r}" if project is not None else found.identity.worktree
    output.say(f"{'created' if result.created else 'exists'}: {found.path} (for {owner})")
    if result.gitignore is None:
        output.say("gitignore: not in a git worktree; left alone")
    elif result.gitignore_added:
        output.say(f"gitignore: added {' '.join(result.gitignore_added)} to {result.gitignore}")
    else:
        output.say(f"gitignore: {result.gitignore} already has the entries")
    return 0


def _status(settings: Settings, args: argparse.Namespace, project: str | None) -> int:
    import json

    from scratchenv import output
    from scratchenv.checkpoints import directories as checkpoints
    from scratchenv.units import format_size

    found = checkpoints.all_directories(settings)
    if args.json:
        output.write(json.dumps([d.as_dict() for d in found], indent=2) + "\n")
        return 0
    root = checkpoints.checkpoint_root(settings)
    if not found:
        output.say(f"no checkpoint directories under {root}")
        return 0
    exists = {True: "yes", False: "gone", None: "-"}
    rows = [
        (d.id, str(d.checkpoints), format_size(d.bytes), d.newest or "-",
         exists[d.worktree_exists],
         d.worktree or (f"project {d.project}" if d.project else "? (no record)"))
        for d in found
    ]
    output.say(f"checkpoint root: {root}")
    output.table(rows, headers=("ID", "CHECKPOINTS", "SIZE", "NEWEST", "EXISTS", "WORKTREE"))
    orphans = sum(1 for d in found if d.orphan)
    if orphans:
        output.say(f"{orphans} orphaned (worktree gone): `scratchenv checkpoints prune-orphans`")
    return 0


def _cleanup(settings: Settings, args: argparse.Namespace, project: str | None) -> int:
    from scratchenv import output
    from scratchenv.checkpoints import directories as checkpoints
    from scratchenv.disk.usage import scan
    from scratchenv.units import format_size

    found = checkpoints.resolve(settings, checkpoints.identify(project))
    plan = checkpoints.plan_cleanup(settings, found.path, args.keep)
    rows = [("keep", c.name, "newest" if i == 0 else "") for i, c in enumerate(plan.keep)]
    rows += [("delete", c.name, "") for c in plan.delete]
    rows += [("skip", s.path.name, s.reason) for s in plan.skipped]
    output.say(f"checkpoints: {found.path}")
    if not rows:
        output.say("nothing to clean up")
        return 0
    output.table(rows)
    freed = format_size(sum(scan(str(c.path)).bytes for c in plan.delete))
    if not plan.delete:
        output.say("nothing to delete")
    elif args.yes:
        checkpoints.apply_cleanup(settings, plan)
        output.say(f"deleted {_count(len(plan.delete), 'checkpoint')}, {freed}")
    else:
        output.say(f"dry run: would delete {_count(len(plan.delete), 'checkpoint')}, {freed}; "
                   f"rerun with --yes")
    return 0


def _prune(settings: Settings, args: argparse.Namespace, project: str | None) -> int:
    from scratchenv import output
    from scratchenv.checkpoints import directories as checkpoints
    from scratchenv.units import format_size

    found = checkpoints.all_directories(settings)
    gone = [d for d in found if d.orphan]
    for d in found:
        exists, why = d.worktree_state
        if exists is None and d.worktree is not None:
            output.warn(f"{d.path}: worktree {d.worktree}: {why}")
    if not gone:
        output.say("no orphaned checkpoint directories")
        return 0
    output.table([(str(d.path), format_size(d.bytes), f"worktree gone: {d.worktree}")
                  for d in gone])
    if not args.yes:
        output.say(f"dry run: would delete {_count(len(gone), 'directory')}; rerun with --yes")
        return 0
    for d in gone:
        checkpoints.remove_tree(d.path, settings.scratch_root)
    output.say(f"deleted {_count(len(gone), 'orphaned directory')}")
    return 0


def _count(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"
