"""File-system helpers shared by every module that writes: atomic writes and safe directories."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write(path: str | os.PathLike[str], data: str | bytes, *, mode: int = 0o644) -> None:
    """Write `data` to `path` so readers see the old file or the new one, never a half.

    The temp file lives in the same directory (rename is atomic only within one file
    system) and is fsynced before the rename, so a crash cannot leave an empty file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
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



def nearest_existing(path: Path) -> Path:
    """The closest ancestor of `path` (or `path` itself) that exists."""
    current = path
    while not current.exists() and current != current.parent:
        current = current.parent
    return current
