from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from scratchenv.commands import consent_flags, go_ahead, settings_from

if TYPE_CHECKING:
    from collections.abc import Callable

    from scratchenv.checkpoints.archive import Job
    from scratchenv.checkpoints.directories import CheckpointDir, DirStatus
    from scratchenv.plan import Plan

HELP = ("this worktree's checkpoint directory on scratch: dir, setup, status, cleanup, "
        "prune-orphans, adopt, archive")


def configure(parser: argparse.ArgumentParser) -> None:
    # --project may come before or after the subcommand; SUPPRESS keeps the global value.
    project = argparse.ArgumentParser(add_help=False)
    project.add_argument(
        "--project", default=argparse.SUPPRESS, metavar="NAME",
        help="a named project's directory instead of this worktree's",
    )
    # One scheme for every command that deletes or moves: a dry run until --apply.
    acting = argparse.ArgumentParser(add_help=False)
    consent_flags(acting, "act")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("dir", parents=[project], help="print the directory (creates nothing)")
    actions.add_parser(
        "setup", parents=[project],
        help="create it (0700) and add checkpoint entries to the worktree's .gitignore",
    )
    status = actions.add_parser("status", help="every checkpoint directory of yours, "
                                "largest first")
    status.add_argument("--json", action="store_true", help="as JSON")
    cleanup = actions.add_parser(
        "cleanup", parents=[project, acting],
        help="delete all but the newest N checkpoints and the best one (dry run unless --apply)",
    )
    cleanup.add_argument("--keep", type=int, default=2, metavar="N", help="how many (default 2)")
    cleanup.add_argument("--all", action="store_true",
                         help="in every checkpoint directory of yours, not only this one")
    actions.add_parser(
        "prune-orphans", parents=[acting],
        help="delete directories whose worktree is really gone (dry run unless --apply)",
    )
    adopt = actions.add_parser(
        "adopt", parents=[project, acting],
        help="move existing checkpoint directories into this worktree's (dry run unless "
             "--apply)",
    )
    adopt.add_argument("paths", nargs="+", metavar="PATH", help="checkpoint directories")
    adopt.add_argument("--in-place", action="store_true",
                       help="keep PATH (a directory under the root) where it is and record it "
                            "as this worktree's")
    archive = actions.add_parser(
        "archive", parents=[acting],
        help="move old model and checkpoint directories into {root}/archived_models_YYYYMMDD/ "
             "(dry run unless --apply)",
    )
    archive.add_argument("paths", nargs="*", metavar="PATH",
                         help="default: ~/.cache/huggingface/transformers and the .art/, "
                              "checkpoints/ and trainer_output/ directories of this checkout")


def run(args: argparse.Namespace) -> int:
    from scratchenv.plan import build_plan

    # The checkpoint project is only the --project flag: SCRATCHENV_PROJECT names the cache
    # layout for every worktree, and using it here would make all worktrees share one.
    project = getattr(args, "project", None)
    plan = build_plan(settings_from(argparse.Namespace(**{**vars(args), "project": None})))
    if project is None and args.action in ("dir", "status", "cleanup", "prune-orphans"):
        _refresh_here(plan)
    action = {
        "dir": _dir,
        "setup": _setup,
        "status": _status,
        "cleanup": _cleanup,
        "prune-orphans": _prune,
        "adopt": _adopt,
        "archive": _archive,
    }[args.action]
    return action(plan, args, project)


def _refresh_here(plan: Plan) -> None:
    """This worktree may have moved: its directory's record learns the new path first."""
    from scratchenv.checkpoints import directories
    from scratchenv.checkpoints.identity import identify
    from scratchenv.errors import ConfigError

    try:
        identity = identify()
    except ConfigError:  # run from a removed directory: status and prune-orphans still work
        return
    directories.refresh(plan, identity)


def _dir(plan: Plan, args: argparse.Namespace, project: str | None) -> int:
    from scratchenv import output
    from scratchenv.checkpoints import directories as checkpoints
    from scratchenv.checkpoints.identity import identify

    found = checkpoints.resolve(plan, identify(project))
    if found.taken_by:
        output.warn(_collision_note(found))
    output.say(str(found.path))
    return 0


def _collision_note(found: CheckpointDir) -> str:
    return (f"id {found.identity.id!r} is taken by {found.taken_by}; "
            f"this {'project' if found.identity.project else 'worktree'} uses {found.id!r}")


def _setup(plan: Plan, args: argparse.Namespace, project: str | None) -> int:
    from scratchenv import output
    from scratchenv.checkpoints import directories as checkpoints
    from scratchenv.checkpoints.identity import identify

    result = checkpoints.setup(plan, identify(project), gitignore=True)
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


def _status(plan: Plan, args: argparse.Namespace, project: str | None) -> int:
    import json

    from scratchenv import output
    from scratchenv.checkpoints import directories as checkpoints
    from scratchenv.units import format_size

    found = checkpoints.all_directories(plan)
    if args.json:
        output.write(json.dumps([d.as_dict() for d in found], indent=2) + "\n")
        return 0
    root = checkpoints.checkpoint_root(plan)
    if not found:
        output.say(f"no checkpoint directories under {root}")
        _elsewhere(plan)
        return 0
    exists = {True: "yes", False: "gone", None: "-"}
    rows = [
        (d.id, str(d.checkpoints), format_size(d.bytes), d.newest or "-",
         exists[d.worktree_exists], _owner(d))
        for d in found
    ]
    rows.append(("total", str(sum(d.checkpoints for d in found)),
                 format_size(sum(d.bytes for d in found)), "", "",
                 _count(len(found), "directory")))
    output.say(f"checkpoint root: {root}")
    output.table(rows, headers=("ID", "CHECKPOINTS", "SIZE", "NEWEST", "EXISTS", "WORKTREE"))
    for d in found:
        if d.belongs_on is not None:
            output.say(f"{d.path}: on {d.root}, while checkpoints go to {d.belongs_on} now "
                       f"(training resumes from it where it is); {d.move_advice} moves it there")
    orphans = sum(1 for d in found if d.orphan)
    if orphans:
        output.say(f"{orphans} orphaned (worktree gone): `scratchenv checkpoints prune-orphans`")
    _elsewhere(plan)
    return 0


def _elsewhere(plan: Plan) -> None:
    """Checkpoints no worktree has claimed: directories without a record on either root,
    and the old places (legacy cache, `.art/`, `checkpoints/`, `trainer_output/` in this
    checkout)."""
    from scratchenv import output
    from scratchenv.checkpoints import archive
    from scratchenv.checkpoints import directories as checkpoints
    from scratchenv.checkpoints.identity import identify
    from scratchenv.errors import ConfigError

    for path in checkpoints.unclaimed(plan):
        output.say(f"{path}: no record; {checkpoints.UNCLAIMED_ADVICE.format(path=path)}")
    try:
        identity = identify()
    except ConfigError:
        return
    home = plan.home
    for place in archive.legacy_places(home, identity.worktree if identity.in_git else None):
        output.say(f"{place}: outside any checkpoint directory; `scratchenv checkpoints adopt "
                   f"{place}` moves its checkpoints into this worktree's, `scratchenv "
                   "checkpoints archive` archives it")


def _owner(d: DirStatus) -> str:
    if d.project:
        return f"project {d.project}"
    if d.worktree is None:
        return "? (no record)"
    if d.recorded_worktree and d.recorded_worktree != d.worktree:
        return f"{d.worktree} (moved from {d.recorded_worktree})"
    return d.worktree


def _cleanup(plan: Plan, args: argparse.Namespace, project: str | None) -> int:
    from scratchenv import output
    from scratchenv.checkpoints import directories as checkpoints
    from scratchenv.checkpoints import pruning
    from scratchenv.checkpoints.identity import identify
    from scratchenv.errors import ConfigError
    from scratchenv.units import format_size

    if args.all and project is not None:
        raise ConfigError("cleanup --all covers every directory; leave out --project")
    if args.all:
        paths = [d.path for d in checkpoints.all_directories(plan)]
        if not paths:
            output.say(f"no checkpoint directories under {checkpoints.checkpoint_root(plan)}")
            return 0
    else:
        paths = [checkpoints.resolve(plan, identify(project)).path]
    cleanups = pruning.plan_cleanups(plan, paths, args.keep)
    for cleanup in cleanups.each:
        rows = [("keep", c.name, cleanup.why.get(c.path, "")) for c in cleanup.keep]
        rows += [("delete", c.name, "") for c in cleanup.delete]
        rows += [("skip", s.path.name, s.reason) for s in cleanup.skipped]
        output.say(f"checkpoints: {cleanup.directory}")
        output.table(rows) if rows else output.say("nothing to clean up")
    if not cleanups.doomed:
        output.say("nothing to delete")
        return 0
    what = f"{_count(len(cleanups.doomed), 'checkpoint')}, {format_size(cleanups.bytes)}"
    if not go_ahead(args, f"delete {what}?"):
        output.say(f"dry run: would delete {what}; rerun with --apply")
        return 0
    deleted, refused = pruning.apply_cleanups(plan, cleanups)
    for kept in refused:
        output.warn(f"kept {kept.path}: {kept.reason}")
    if not refused:
        output.say(f"deleted {what}")
        return 0
    output.say(f"deleted {_count(len(deleted), 'checkpoint')}; {len(refused)} kept (see above)")
    return 1


def _prune(plan: Plan, args: argparse.Namespace, project: str | None) -> int:
    from scratchenv import output
    from scratchenv.checkpoints import pruning
    from scratchenv.units import format_size

    orphans = pruning.find_orphans(plan)
    for d in orphans.doubtful:
        output.warn(f"{d.path}: worktree {d.worktree or d.recorded_worktree}: {d.doubt}: kept")
    if not orphans.gone:
        output.say("no orphaned checkpoint directories")
        return 0
    output.table([(str(d.path), format_size(d.bytes), f"worktree gone: {d.worktree}")
                  for d in orphans.gone])
    what = _count(len(orphans.gone), "directory")
    if not go_ahead(args, f"delete {what}?"):
        output.say(f"dry run: would delete {what}; rerun with --apply")
        return 0
    pruning.prune_orphans(plan, orphans.gone)
    output.say(f"deleted {_count(len(orphans.gone), 'orphaned directory')}")
    return 0


def _absolute(paths: list[str]) -> list[str]:
    import os

    return [os.path.abspath(os.path.expanduser(path)) for path in paths]


def _adopt(plan: Plan, args: argparse.Namespace, project: str | None) -> int:
    from scratchenv import output
    from scratchenv.checkpoints import archive
    from scratchenv.checkpoints.identity import identify
    from scratchenv.errors import ConfigError
    identity = identify(project)
    if args.in_place:
        if len(args.paths) != 1:
            raise ConfigError("adopt --in-place takes one directory")
        if not go_ahead(args, f"record {args.paths[0]} as this worktree's?"):
            output.say(f"dry run: would record {args.paths[0]} as the checkpoint directory of "
                       f"{identity.project or identity.worktree}; rerun with --apply")
            return 0
        found = archive.adopt_in_place(plan, identity, _absolute(args.paths)[0])
        output.say(f"adopted in place: {found.path} (for {identity.project or identity.worktree})")
        return 0
    jobs = archive.plan_adopt(plan, identity, _absolute(args.paths))
    return _moves(args, jobs, "adopt", lambda: archive.adopt(plan, identity, jobs),
                  plan.home)


def _archive(plan: Plan, args: argparse.Namespace, project: str | None) -> int:
    from scratchenv import output
    from scratchenv.checkpoints import archive
    from scratchenv.checkpoints.identity import identify

    home = plan.home
    paths = _absolute(args.paths)
    if not paths:
        identity = identify()
        paths = archive.legacy_places(home, identity.worktree if identity.in_git else None)
        if not paths:
            output.say("nothing to archive: no ~/" + archive.LEGACY_HF + ", and no .art/, "
                       "checkpoints/ or trainer_output/ in this checkout")
            _unclaimed_note(plan)
            return 0
    from pathlib import Path

    root = plan.checkpoint_place.root
    jobs = archive.plan_archive(Path(root), paths, keep_times=plan.keeps_times(root))
    if not args.paths:
        _unclaimed_note(plan)
    return _moves(args, jobs, "archive", lambda: archive.archive(Path(root), jobs), home)


def _unclaimed_note(plan: Plan) -> None:
    """archive never takes a directory on the root unless named: it may be someone's run."""
    from scratchenv import output
    from scratchenv.checkpoints import directories as checkpoints

    for path in checkpoints.unclaimed(plan):
        output.say(f"not archived unless named: {path} (no record): "
                   f"`scratchenv checkpoints archive {path}`")


def _moves(args: argparse.Namespace, jobs: list[Job], verb: str, act: Callable[[], object],
           home: str) -> int:
    """Show the jobs; with --apply, run them and show what happened. 1 when any is left."""
    from scratchenv import output
    from scratchenv.checkpoints.archive import describe

    for job in jobs:
        output.say(describe(job, home))
    active = [job for job in jobs if job.active]
    if not active:
        output.say(f"nothing to {verb}")
        return 1 if any(job.note != "already in its destination" for job in jobs) else 0
    if not go_ahead(args, f"{verb} {_count(len(active), 'directory')}?"):
        output.say(f"dry run: nothing moved; rerun with --apply to {verb}")
        return 0
    act()
    left = [job for job in active if not job.finished]
    for job in active:
        output.say(describe(job, home))
        for rel, why in [*job.outcome.conflicts, *job.outcome.failed, *job.outcome.skipped]:
            output.say(f"  left in place: {rel or '.'}: {why}")
    if left:
        output.say(f"{_count(len(left), 'directory')} not finished: see above, then run the "
                   "same command again")
        return 1
    return 0


def _count(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"
