"""File-system helpers shared by every module that writes: atomic writes and safe directories."""

from __future__ import annotations

import os
import stat

from scratchenv.errors import ScratchenvError
from scratchenv.locations import user_named

# tempfile and pathlib are imported where they are used: the TaskProlog's fast path makes
# the node-local directory through here, before every task.


def atomic_write(path: str | os.PathLike[str], data: str | bytes, *, mode: int = 0o644) -> None:
    """Write `data` to `path` so readers see the old file or the new one, never a half.

    The temp file lives in the same directory (rename is atomic only within one file
    system) and is fsynced before the rename, so a crash cannot leave an empty file.
    """
    import contextlib
    import tempfile
    from pathlib import Path

    target = Path(path)
    makedirs_private(target.parent)  # what scratchenv writes, a group member never swaps
    # A path from the OS may hold bytes that are not UTF-8 (decoded as surrogates, like
    # os.fsdecode): they are written back byte-exact.
    payload = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_symlink(target: str, link: str | os.PathLike[str]) -> None:
    """Make `link` point at `target`, replacing what was there in one rename."""
    import contextlib
    from pathlib import Path

    link = Path(link)
    temporary = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)
    os.symlink(target, temporary)
    os.replace(temporary, link)


def makedirs_private(path: str | os.PathLike[str]) -> None:
    """mkdir -p with mode 0700 for every directory it creates, whatever the umask: scratch
    is shared. Safe against another process creating the same directories."""
    missing = []
    current = os.path.abspath(path)
    while not os.path.isdir(current):
        missing.append(current)
        current = os.path.dirname(current)
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            continue
        os.chmod(directory, 0o700)



def private_directory(path: str | os.PathLike[str]) -> None:
    """`path` as a directory only the user can enter or change (0700), made if missing.

    For what scratchenv writes and later sources or trusts (the state directory): made
    0700 whatever the umask, and one an older version (or umask 002) left open to the
    group is closed again. A directory of someone else's is refused (ScratchenvError).
    """
    makedirs_private(path)
    st = os.stat(path)
    if st.st_uid != os.getuid():
        raise ScratchenvError(f"{path} belongs to uid {st.st_uid}, not you: scratchenv keeps "
                              "files your shells source there; remove it or set "
                              "SCRATCHENV_STATE_DIR")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        # Only closed to others: one the user made read-only (0555) stays read-only (0500).
        os.chmod(path, mode & 0o700)



def private_dir_problem(path: str | os.PathLike[str]) -> str | None:
    """Why `path` is not a directory of the user's alone (None when it is, or is missing):
    a symlink, not a directory, someone else's, or writable by the group or others. A
    node-local cache holds compiled kernels: only its owner may write there."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory"
    if info.st_uid != os.geteuid():
        return f"belongs to {user_named(info.st_uid, with_uid=False)}"
    if info.st_mode & 0o022:
        return f"is writable by others (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def ensure_private_dir(path: str | os.PathLike[str]) -> str | None:
    """Make `path` (its parent must exist) 0700 unless it is there; then private_dir_problem."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as error:
        return f"cannot be created ({error.strerror})"
    return private_dir_problem(path)
