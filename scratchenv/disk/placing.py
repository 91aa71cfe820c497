"""Putting a finished copy into place by a rename that never overwrites: RENAME_NOREPLACE
for a new file, RENAME_EXCHANGE (checked afterwards, swapped back when it took the wrong
file) for an older one; where the file system has neither, a check then a rename, and the
old file moved aside by a hard link. A file that appeared or changed at the destination
since the survey (a job writing there already) makes the item a conflict.

Names are relative to an open destination directory (its fd), as the transfer works a
directory at a time: one path lookup per directory, not one per file and call.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
import sys
from collections.abc import Callable

from scratchenv.disk.copying import part_name
from scratchenv.disk.survey import Item

_AT_FDCWD, _RENAME_NOREPLACE, _RENAME_EXCHANGE = -100, 1, 2
_FS_ENCODING = sys.getfilesystemencoding()  # os.fsencode, without its per-call look-up


class Changed(Exception):
    """The destination of an item changed since the survey (a job writing there already):
    the item is a conflict now, and the copy is dropped."""


def renameat2() -> Callable[..., int] | None:
    """libc's renameat2(int, char *, int, char *, unsigned), or None when this libc has none.
    No argtypes: ints and bytes convert as they are, and checking them costs per file."""
    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None


def before_replacing() -> None:
    """Called right before a file at the destination is replaced (tests race a job here)."""


def _b(name: str) -> bytes:
    return name.encode(_FS_ENCODING, "surrogateescape")


class Placer:
    """Renames the copies of one run into place (see the module docstring)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self._rename = renameat2()
        """renameat2 while the destination file system takes RENAME_NOREPLACE."""

    def put(self, at: int | None, tmp: str, name: str, item: Item) -> None:
        """Rename the finished copy `tmp` to `name` (both in the directory open as `at`;
        None: paths), never over a file that appeared or changed there since the survey
        (newer files are never overwritten)."""
        if item.action == "replace" and self._replace(at, tmp, name, item):
            return
        rename_new = self._rename
        if rename_new is not None:  # atomic: fails instead of replacing
            fd = _AT_FDCWD if at is None else at
            if rename_new(fd, _b(tmp), fd, _b(name), _RENAME_NOREPLACE) == 0:
                return
            code = ctypes.get_errno()
            if code == errno.EEXIST:
                raise Changed("conflict: appeared at the destination while moving")
            if code not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                raise OSError(code, os.strerror(code), name)
            self._rename = None  # this file system cannot: check, then rename
        if _exists(at, name):
            raise Changed("conflict: appeared at the destination while moving")
        os.rename(tmp, name, src_dir_fd=at, dst_dir_fd=at)

    def _replace(self, at: int | None, tmp: str, name: str, item: Item) -> bool:
        """Swap the copy with the older file at `name` in one step (RENAME_EXCHANGE), then
        look at what came out: the file surveyed goes; anything else (a job wrote there
        meanwhile) is swapped back and the item is a conflict. Nothing is ever overwritten.
        False when `name` is gone now (then it is put like a new file)."""
        rename = self._rename
        fd = _AT_FDCWD if at is None else at
        before_replacing()
        if rename is None or rename(fd, _b(tmp), fd, _b(name), _RENAME_EXCHANGE) != 0:
            code = ctypes.get_errno() if rename is not None else errno.ENOSYS
            if code == errno.ENOENT:
                return False
            if code not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                raise OSError(code, os.strerror(code), name)
            return self._replace_aside(at, tmp, name, item)
        out = os.stat(tmp, dir_fd=at, follow_symlinks=False)
        if stat.S_ISREG(out.st_mode) and (out.st_ino, out.st_mtime_ns) == item.there:
            os.unlink(tmp, dir_fd=at)
            return True
        rename(fd, _b(tmp), fd, _b(name), _RENAME_EXCHANGE)
        raise Changed("conflict: changed at the destination while moving")

    def _replace_aside(self, at: int | None, tmp: str, name: str, item: Item) -> bool:
        """Where renameat2 cannot exchange: move the old file aside by a hard link under
        this run's temporary name, check it is the one surveyed, then put the copy."""
        aside = part_name(name, self.token + "-old")
        try:
            os.link(name, aside, src_dir_fd=at, dst_dir_fd=at)
        except FileNotFoundError:
            return False
        there = os.stat(aside, dir_fd=at, follow_symlinks=False)
        if (there.st_ino, there.st_mtime_ns) != item.there:
            os.unlink(aside, dir_fd=at)
            raise Changed("conflict: changed at the destination while moving")
        os.unlink(name, dir_fd=at)
        os.unlink(aside, dir_fd=at)
        return False  # put like a new file: fails rather than replaces what appears now


def _exists(at: int | None, name: str) -> bool:
    try:
        os.stat(name, dir_fd=at, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True
