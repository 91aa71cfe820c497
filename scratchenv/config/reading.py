"""Reading a file scratchenv may trust: a regular file, bounded, opened without blocking,
judged by who can change it (trust.py says what is read from whom).

Standard library only: the login fast path reads through `read_regular`.
"""

from __future__ import annotations

import os
import stat

from scratchenv.locations import user_named

MAX_BYTES = 1024 * 1024
"""The largest settings file scratchenv reads (config, site config, .env.local)."""
_OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH


class Untrusted(ValueError):
    """Why a file or directory is not read: a reason for one line."""


def read_regular(path: str, *, limit: int = MAX_BYTES, nofollow: bool = False
                 ) -> tuple[bytes, os.stat_result] | None:
    """The content and status of the regular file `path`, or None when there is none.

    Opened with O_NONBLOCK, then judged by fstat of what was opened: a FIFO or a device
    is refused before any read could block, and nothing larger than `limit` is read.
    Raises Untrusted with the reason.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (os.O_NOFOLLOW if nofollow else 0)
    try:
        fd = os.open(path, flags)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        if nofollow and os.path.islink(path):
            raise Untrusted("it is a symlink") from None
        raise Untrusted(error.strerror or str(error)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Untrusted("it is not a regular file")
        if st.st_size > limit:
            raise Untrusted(f"it is larger than {_size(limit)}")
        chunks = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise Untrusted(f"it is larger than {_size(limit)}")
        return data, st
    finally:
        os.close(fd)


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


def others_can_write(st: os.stat_result) -> bool:
    """Whether someone other than the user (and root) can change what is in it."""
    return st.st_uid not in (os.getuid(), 0) or bool(st.st_mode & _OTHERS_WRITE)


def written_file_problem(st: os.stat_result) -> str | None:
    """Why a file scratchenv wrote for later (an activation file, a journal, a record),
    with status `st`, must not be trusted: not the user's, others can write it, or it has
    a second name (a hard link from a place others can reach)."""
    if st.st_uid != os.getuid():
        return f"it belongs to {user_named(st.st_uid)}, not you"
    if st.st_mode & _OTHERS_WRITE:
        return f"others can write it (mode {stat.S_IMODE(st.st_mode):04o})"
    if st.st_nlink > 1 and stat.S_ISREG(st.st_mode):
        return "it has another name (a hard link)"
    return None


def read_written(path: str | os.PathLike[str]) -> bytes | None:
    """A file scratchenv wrote earlier and now trusts (a journal, a worktree record): its
    bytes, or None when it is missing, not a regular file, or someone else could have
    written it (`written_file_problem`): such a file is ignored, as if it were not there."""
    try:
        found = read_regular(os.fspath(path), nofollow=True)
    except Untrusted:
        return None
    if found is None or written_file_problem(found[1]) is not None:
        return None
    return found[0]


def read_written_dict(path: str | os.PathLike[str]) -> dict[str, object] | None:
    """A JSON object scratchenv wrote earlier (`read_written`), or None when the file is
    missing, untrusted, not JSON or not an object."""
    import json  # here: the login fast path imports this module and never needs json

    found = read_written(path)
    try:
        data = json.loads(found) if found is not None else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def check_directory(directory: str, *, sticky_ok: bool) -> None:
    try:
        st = os.stat(directory)
    except OSError as error:
        raise Untrusted(f"cannot look at {directory}: {error.strerror}") from None
    if st.st_uid not in (os.getuid(), 0):
        raise Untrusted(f"it is in {directory}, which belongs to {user_named(st.st_uid)}")
    if st.st_mode & _OTHERS_WRITE and not (sticky_ok and st.st_mode & stat.S_ISVTX):
        raise Untrusted(f"it is in {directory}, which others can write "
                        f"(mode {stat.S_IMODE(st.st_mode):04o})")


def check_file(st: os.stat_result, path: str, *, root_ok: bool) -> None:
    owners = (os.getuid(), 0) if root_ok else (os.getuid(),)
    if st.st_uid not in owners:
        whom = "neither you nor root" if root_ok else "not you"
        raise Untrusted(f"it belongs to {user_named(st.st_uid)}, {whom}")
    if st.st_mode & _OTHERS_WRITE:
        raise Untrusted(f"others can write it (mode {stat.S_IMODE(st.st_mode):04o}; "
                        f"chmod go-w {path})")


def read_owned(path: str, shown: str, *, root_ok: bool) -> bytes | None:
    """The bytes of the regular file `path` (named `shown` in errors), None when there is
    none; Untrusted when someone else can change it (root may own it with `root_ok`)."""
    found = read_regular(path, nofollow=True)
    if found is None:
        return None
    data, st = found
    check_file(st, shown, root_ok=root_ok)
    return data
