"""Deleting checkpoints, planned first (what the dry run shows) and applied after consent:
`cleanup` keeps the newest N and the best checkpoint of one directory or of every one;
`prune-orphans` deletes the directories whose worktree is really gone. Every delete goes
through the safe delete, inside the root that holds the directory (the Plan says which:
checkpoints may live on the persistent root)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from scratchenv.checkpoints import directories
from scratchenv.checkpoints.directories import Checkpoint, Cleanup, DirStatus, Skipped
from scratchenv.disk.usage import scan
from scratchenv.plain import record

if TYPE_CHECKING:
    from scratchenv.plan import Plan


@record
class Cleanups:
    """What `cleanup` does in each directory, and what it frees."""

    each: list[Cleanup]
    bytes: int

    @property
    def doomed(self) -> list[Checkpoint]:
        return [c for cleanup in self.each for c in cleanup.delete]


def plan_cleanups(plan: Plan, paths: list[Path], keep: int) -> Cleanups:
    """Cleanup of each directory in `paths` (nothing deleted), with the bytes it frees."""
    each = [directories.plan_cleanup(plan, path, keep) for path in paths]
    doomed = [c for cleanup in each for c in cleanup.delete]
    return Cleanups(each, sum(scan(str(c.path)).bytes for c in doomed))


def apply_cleanups(plan: Plan, cleanups: Cleanups) -> tuple[list[Path], list[Skipped]]:
    """Delete what `cleanups` deletes: what was deleted, and what the safe delete refused
    (kept whole, with why)."""
    deleted = [path for cleanup in cleanups.each
               for path in directories.apply_cleanup(plan, cleanup)]
    return deleted, [s for cleanup in cleanups.each for s in cleanup.refused]


@record
class Orphans:
    gone: list[DirStatus]
    """Directories whose worktree is really gone: prune-orphans deletes these."""
    doubtful: list[DirStatus]
    """Directories whose worktree may or may not be there (kept, and said why)."""


def find_orphans(plan: Plan) -> Orphans:
    found = directories.all_directories(plan)
    return Orphans(gone=[d for d in found if d.orphan], doubtful=[d for d in found if d.doubt])


def prune_orphans(plan: Plan, gone: list[DirStatus]) -> None:
    """Delete each orphaned directory inside the root that holds it."""
    for d in gone:
        directories.remove_tree(d.path, directories.root_holding(plan, d.path))
