"""`scratchenv clean`: remove the plan's locations by group, never outside their own root.

The cleanup steps users ran by hand (`rm -rf "$UV_CACHE_DIR" ...`) as data: each
catalogue entry has a group (cache, toolchain, data, venv) and clean removes the locations
of the chosen groups. Safety, in the order it is checked:
- a location must lie strictly inside its own root (the scratch root, or the persistent
  root for the groups the tiers put there) once every symlink *above* it is resolved;
  one that leads elsewhere is refused and left alone;
- a location that is itself a symlink is removed as a link (its target is never touched);
- inside, the tree is removed by shutil.rmtree's fd-based walk, which unlinks symlinks
  and never follows them (`shutil.rmtree.avoids_symlink_attacks`).
Checkpoint directories are not a group here: `scratchenv checkpoints cleanup` keeps the
newest ones.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scratchenv.errors import ScratchenvError
from scratchenv.home.moves import below, inside

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
    problem: str | None = None
    """Why it is left alone (it leads outside the root); None when it can go."""

    @property
    def exists(self) -> bool:
        return os.path.lexists(self.path)


def _problem(path: str, root: str) -> str | None:
    real_root = os.path.realpath(root)
    if not below(path, os.path.normpath(root)):
        return f"not inside the root {root}: left alone"
    real_parent = os.path.realpath(os.path.dirname(path))
    real = os.path.join(real_parent, os.path.basename(path))
    if not below(real, real_root):
        return f"leads outside the root (to {real}) through a symlink: left alone"
    return None


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
        # Inside ITS root: a cache must be under scratch, a venv under the persistent root.
        found.append(Target(change.name, entry.group, path,
                            _problem(path, plan.root_of(change))))
    return found


def _retry_writable(function, path, exc_info) -> None:
    """rmtree's error hook: a read-only directory (Go's module cache) is ours to open up."""
    error = exc_info[1]
    if not isinstance(error, PermissionError):
        raise error
    parent = os.path.dirname(path)
    os.chmod(parent, stat.S_IMODE(os.lstat(parent).st_mode) | stat.S_IRWXU)
    if function in (os.open, os.scandir, os.listdir) and os.path.isdir(path):
        os.chmod(path, stat.S_IMODE(os.lstat(path).st_mode) | stat.S_IRWXU)
        shutil.rmtree(path, onerror=_retry_writable)
    elif os.path.isdir(path) and not os.path.islink(path):
        os.rmdir(path)
    else:
        os.unlink(path)


def remove(target: Target) -> None:
    """Remove one location (a link as a link); refuses a target with a problem."""
    if target.problem:
        raise ScratchenvError(f"{target.path}: {target.problem}")
    if not shutil.rmtree.avoids_symlink_attacks:
        raise ScratchenvError("this platform's rmtree may follow symlinks; clean refuses")
    path = target.path
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            shutil.rmtree(path, onerror=_retry_writable)
        else:
            os.unlink(path)
    except OSError as problem:  # a read-only scratch mount; rmtree names only the leaf
        raise ScratchenvError(f"cannot remove {path}: {problem.strerror}") from None
