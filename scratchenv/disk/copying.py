"""The copy primitives of the transfer engine (transfer.py): temporary names, data copied
with its holes (SEEK_DATA/SEEK_HOLE, sendfile), extended attributes and ACLs, syncing the
destination file system, and the comparisons that prove a copy.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import os
import secrets
import stat
from collections.abc import Iterable

PART_PREFIX = ".scratchenv-part."
"""Temporary copies in the destination are named PART_PREFIX + token + "." + name; a re-run
deletes the leftovers of the tokens it is given (recorded by the run that made them)."""


def new_token() -> str:
    """A token for this run's temporary names (record it before the first copy)."""
    return secrets.token_hex(8)


def part_name(path: str, token: str) -> str:
    """The temporary name a copy of `path` is written under, in the same directory."""
    cut = path.rfind("/") + 1
    name = path[cut:]
    if len(name) > 200:  # stay under NAME_MAX (255) with the prefix
        name = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{path[:cut]}{PART_PREFIX}{token}.{name}"


class Unkept(Exception):
    """The destination cannot hold what the source has besides its bytes (extended
    attributes, ACLs): the item stays in the source, said why."""


_ACL_NAMES = {"system.posix_acl_access": "ACL", "system.posix_acl_default": "default ACL"}


def _attr_names(names: Iterable[str]) -> str:
    return ", ".join(_ACL_NAMES.get(name, name) for name in sorted(names))


def xattrs(target: int | str) -> dict[str, bytes]:
    """Extended attributes of a file or directory (ACLs are system.posix_acl_*): the ones
    this process can read. Empty where the file system has none."""
    try:
        names = os.listxattr(target)
    except OSError as error:
        if error.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return {}
        raise
    found = {}
    for name in names:
        with contextlib.suppress(FileNotFoundError, OSError):
            found[name] = os.getxattr(target, name)
    return found


def put_xattrs(target: int | str, attrs: dict[str, bytes]) -> None:
    """Give `target` these extended attributes, or raise Unkept naming those it cannot hold."""
    refused = []
    for name, value in attrs.items():
        try:
            os.setxattr(target, name, value)
        except OSError:
            refused.append(name)
    if refused:
        raise Unkept(f"the destination cannot keep its {_attr_names(refused)}: kept")


def xattrs_differ(src: str, dst: str) -> str | None:
    """Why the copy's extended attributes are not the source's, or None."""
    mine = xattrs(src)
    if not mine:
        return None
    theirs = xattrs(dst)
    differ = [name for name, value in mine.items() if theirs.get(name) != value]
    if differ:
        return f"did not verify (its {_attr_names(differ)} differ at the destination): kept"
    return None


def make_writable(directory: str) -> int:
    """Let us write into `directory`: caches keep read-only ones (Go's module cache does).
    Returns its mode before."""
    mode = stat.S_IMODE(os.lstat(directory).st_mode)
    os.chmod(directory, mode | stat.S_IRWXU)
    return mode


def sync_fs(path: str) -> None:
    """Flush the file system holding `path` (syncfs), so no source goes before its copy."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.syncfs(fd) != 0:
            os.sync()
    except (OSError, AttributeError):
        os.sync()
    finally:
        os.close(fd)


def same_inode(st: os.stat_result, path: str) -> bool:
    try:
        there = os.lstat(path)
    except OSError:
        return False
    return (there.st_dev, there.st_ino) == (st.st_dev, st.st_ino)


def same_content(a: str, b: str) -> bool:
    with open(a, "rb") as first, open(b, "rb") as second:
        return (hashlib.file_digest(first, "blake2b").digest()
                == hashlib.file_digest(second, "blake2b").digest())


def send(source: int, target: int, offset: int, end: int) -> None:
    """Copy bytes [offset, end) of `source` to `target`'s current position."""
    while offset < end:
        sent = os.sendfile(target, source, offset, end - offset)
        if sent == 0:
            break
        offset += sent


def data_bytes(path: str, size: int) -> int:
    """Bytes in the data extents of a file (SEEK_DATA/SEEK_HOLE), each rounded up to 4 KiB
    blocks; `size` when the file system cannot say (or the file is gone)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return size
    total = offset = 0
    try:
        while offset < size:
            try:
                data = os.lseek(fd, offset, os.SEEK_DATA)
            except OSError as error:
                if error.errno == errno.ENXIO:  # only a hole is left
                    break
                return size
            hole = os.lseek(fd, data, os.SEEK_HOLE)
            total += -(-(hole - data) // 4096) * 4096
            offset = hole
    except OSError:
        return size
    finally:
        os.close(fd)
    return total


def copy_sparse(source: int, target: int, size: int) -> None:
    """Copy only the data extents (SEEK_DATA/SEEK_HOLE), leaving the holes holes."""
    offset = 0
    while offset < size:
        try:
            data = os.lseek(source, offset, os.SEEK_DATA)
        except OSError as error:
            if error.errno != errno.ENXIO:  # ENXIO: only a hole is left
                raise
            break
        hole = os.lseek(source, data, os.SEEK_HOLE)
        os.lseek(target, data, os.SEEK_SET)
        send(source, target, data, hole)
        offset = hole
    os.ftruncate(target, size)


def copy_problem(src: str, dst: str, now: os.stat_result, by_hash: bool,
                 times: bool = True) -> str | None:
    """Why the copy at `dst` is not good enough to unlink `src`, or None."""
    try:
        there = os.lstat(dst)
    except FileNotFoundError:
        return "copy missing at the destination: kept, re-run"
    if stat.S_ISLNK(now.st_mode):
        same = stat.S_ISLNK(there.st_mode) and os.readlink(src) == os.readlink(dst)
        return None if same else "did not verify (symlink differs): kept"
    if there.st_size != now.st_size or (times and there.st_mtime_ns != now.st_mtime_ns):
        return "did not verify (size or mtime differs): kept"
    if by_hash and not same_content(src, dst):
        return "did not verify (content differs): kept"
    return None
