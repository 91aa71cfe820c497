"""The one way scratchenv deletes a tree: strictly inside a root, never through a symlink.

Used by `clean` and by checkpoint cleanup and prune-orphans. In the order it is checked:
- the path must lie strictly inside the root as written *and* once every symlink above it
  is resolved (`realpaths.escapes`); one that leads elsewhere is refused and left alone;
- a path that is itself a symlink is removed as a link (its target is never touched);
- a tree is removed by shutil.rmtree's fd-based walk, which unlinks symlinks and never
  follows them (`shutil.rmtree.avoids_symlink_attacks`);
- a tree with a mount point in it (a bind mount of the same file system included:
  /proc/self/mountinfo, not only a device change) or an entry another user owns is refused
  whole and named: nothing of it is deleted; so is one holding scratchenv's own install;
- read-only directories inside (Go's module cache) are opened up to be emptied; a file
  that vanished meanwhile (another rank cleaning up too) is not an error.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from collections.abc import Callable
from typing import Any

from scratchenv.errors import ScratchenvError
from scratchenv.install import own_install_in
from scratchenv.locations import user_named
from scratchenv.plain import record
from scratchenv.realpaths import escapes, mount_points_in


def remove_tree(path: str | os.PathLike[str], root: str | os.PathLike[str], *,
                directories_only: bool = False) -> bool:
    """Delete `path` (a link as a link) if it lies inside `root`; False when it was gone.

    `directories_only`: refuse anything but a real directory (checkpoints are never links).
    Raises ScratchenvError, with one line, for what it refuses or cannot delete."""
    problem = escapes(path, root)
    if problem:
        raise ScratchenvError(f"refusing to delete {path}: {problem}")
    if not shutil.rmtree.avoids_symlink_attacks:
        raise ScratchenvError("this platform's rmtree may follow symlinks; nothing deleted")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    mode = info.st_mode
    if directories_only and not stat.S_ISDIR(mode):
        raise ScratchenvError(f"refusing to delete {path}: not a real directory")
    refused = untouchable(path, first=True)
    if refused:
        raise ScratchenvError(f"refusing to delete {path}: {refused[0].path} is "
                              f"{refused[0].why}; nothing deleted")
    try:
        if stat.S_ISDIR(mode):
            _rmtree(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as error:  # a read-only scratch mount; rmtree names only the leaf
        raise ScratchenvError(f"cannot delete {path}: {error.strerror}") from None
    return True


@record
class Untouchable:
    """Something in a tree that is not ours to delete, and why."""

    path: str
    why: str
    judged: bool = False
    """Found by the caller's `judge` (a checkpoint, for clean): the user may name it to go."""


Judge = Callable[[str, list[str]], "str | None"]
"""(directory, its names) -> why it stays whole, or None."""


def untouchable(path: str | os.PathLike[str], judge: Judge | None = None, *,
                first: bool = False) -> list[Untouchable]:
    """What in the tree at `path` (itself included) is not ours to delete, outermost only,
    sorted: a mount point (a device change, or a bind mount of the same file system, which
    only mountinfo shows), an entry another user owns, scratchenv's own install, and what
    `judge` says stays. One walk, no symlink followed; `first`: stop at the first found."""
    found: list[Untouchable] = []
    written = os.fspath(path)
    try:
        top = os.lstat(written)
    except OSError:
        return found
    if stat.S_ISLNK(top.st_mode):
        return found  # removed as a link: nothing it points at is touched
    mounted = set(mount_points_in(written))
    mine = set(own_install_in(written))
    uid = os.geteuid()
    stack = [(written, os.path.realpath(written), top)]
    while stack and not (first and found):
        current, real, info = stack.pop()
        if real in mounted or info.st_dev != top.st_dev:
            found.append(Untouchable(current, "a mount point (another file system or a bind "
                                              "mount): never crossed"))
        elif info.st_uid != uid:
            owner = user_named(info.st_uid, with_uid=False)
            found.append(Untouchable(current, f"owned by {owner}, not by you"))
        elif real in mine:
            found.append(Untouchable(current, "scratchenv's own install: every shell runs it"))
        elif stat.S_ISDIR(info.st_mode):
            try:
                with os.scandir(current) as listing:
                    entries = list(listing)
            except OSError:
                continue
            why = judge(current, [entry.name for entry in entries]) if judge else None
            if why is not None:
                found.append(Untouchable(current, why, judged=True))
                continue
            for entry in entries:
                try:
                    child = entry.stat(follow_symlinks=False)
                except OSError:  # vanished: another rank cleaning up too
                    continue
                stack.append((entry.path, os.path.join(real, entry.name), child))
    return sorted(found, key=lambda item: item.path)



def _rmtree(path: str | os.PathLike[str]) -> None:
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=_retry)
    else:
        shutil.rmtree(path, onerror=_retry)


def _retry(function: Any, path: str, problem: Any) -> None:
    """rmtree's error hook: vanished is done; a read-only directory is ours to open up."""
    error = problem if isinstance(problem, BaseException) else problem[1]
    if isinstance(error, FileNotFoundError):
        return
    if not isinstance(error, PermissionError):
        raise error
    parent = os.path.dirname(path)
    os.chmod(parent, stat.S_IMODE(os.lstat(parent).st_mode) | stat.S_IRWXU)
    if function in (os.open, os.scandir, os.listdir) and os.path.isdir(path):
        os.chmod(path, stat.S_IMODE(os.lstat(path).st_mode) | stat.S_IRWXU)
        _rmtree(path)
    elif os.path.isdir(path) and not os.path.islink(path):
        os.rmdir(path)
    else:
        os.unlink(path)
