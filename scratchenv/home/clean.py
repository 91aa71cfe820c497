"""`scratchenv clean`: remove the plan's locations on scratch, by group, never outside the root.

The cleanup steps users ran by hand (`rm -rf "$UV_CACHE_DIR" ...`) as data: each
catalogue entry has a group (cache, toolchain, data, venv) and clean removes the locations
of the chosen groups, each through the one safe delete (removal.py: strictly inside the
root once the symlinks above it resolve, a link removed as a link, no symlink followed).
Checkpoint directories are not a group here: `scratchenv checkpoints cleanup` keeps the
newest ones.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scratchenv.errors import ScratchenvError
from scratchenv.realpaths import below, escapes, inside
from scratchenv.removal import remove_tree

if TYPE_CHECKING:
    from scratchenv.plan import Plan

GROUPS = {
    "caches": ("cache",),
    "toolchains": ("toolchain",),
    "data": ("data",),
    "venv": ("venv",),
    "all": ("cache", "toolchain", "data", "venv"),
}


@dataclass(frozen=True)
class Target:
    var: str
    group: str
    path: str
    root: str
    problem: str | None = None
    """Why it is left alone (it leads outside the root); None when it can go."""

    @property
    def exists(self) -> bool:
        return os.path.lexists(self.path)


def targets(plan: Plan, which: str) -> list[Target]:
    """The locations of the groups in `which` (a GROUPS key), outermost only, plan order."""
    groups = GROUPS[which]
    found: list[Target] = []
    for change in plan.variables:
        entry = change.entry
        if entry is None or entry.group not in groups or entry.anchor != "root":
            continue
        path = os.path.normpath(change.value)
        if any(inside(path, t.path) for t in found):
            continue
        found = [t for t in found if not below(t.path, path)]
        problem = escapes(path, plan.root)
        found.append(Target(change.name, entry.group, path, plan.root,
                            f"{problem}: left alone" if problem else None))
    return found


def remove(target: Target) -> None:
    """Remove one location (a link as a link); refuses a target with a problem."""
    if target.problem:
        raise ScratchenvError(f"{target.path}: {target.problem}")
    remove_tree(target.path, target.root)
