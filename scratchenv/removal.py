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
from typing import Any

from scratchenv.errors import ScratchenvError
from scratchenv.install import own_install_in
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
    if stat.S_ISDIR(mode):
        problem = not_ours(path)
        if problem:
            raise ScratchenvError(f"refusing to delete {path}: {problem}; nothing deleted")
    elif info.st_uid != os.geteuid():
        raise ScratchenvError(f"refusing to delete {path}: {_owned(path)}")
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


def not_ours(directory: str | os.PathLike[str]) -> str | None:
    """Why the tree at `directory` is not all ours to delete, or None: a mount point in it
    (a device change, or a bind mount of the same file system, which only mountinfo shows)
    or an entry another user owns. One walk, no symlink followed."""
    mounted = mount_points_in(directory)
    if mounted:
        return f"{mounted[0]} is a mount point (another file system or a bind mount)"
    mine = own_install_in(directory)
    if mine:
        return f"{mine[0]} is scratchenv's own install"
    uid = os.geteuid()
    top = os.lstat(directory)
    stack = [os.fspath(directory)]
    while stack:
        current = stack.pop()
        try:
            info = os.lstat(current)
        except FileNotFoundError:  # another rank cleaning up too
            continue
        if info.st_dev != top.st_dev:
            return f"{current} is a mount point (another file system)"
        if info.st_uid != uid:
            return _owned(current)
        if stat.S_ISDIR(info.st_mode):
            try:
                stack += [entry.path for entry in os.scandir(current)]
            except OSError:
                continue
    return None


def _owned(path: str | os.PathLike[str]) -> str:
    import pwd

    uid = os.lstat(path).st_uid
    try:
        owner = pwd.getpwuid(uid).pw_name
    except KeyError:
        owner = f"uid {uid}"
    return f"{path} is owned by {owner}, not by you"


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
