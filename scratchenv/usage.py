"""Disk usage of a tree, like `du -s`: one file system, no symlinks followed, hard links once."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Usage:
    path: str
    bytes: int
    """Allocated bytes (st_blocks * 512), as `du` counts them."""
    files: int
    """Every entry below the path (files, directories, links): what inode quotas count."""
    complete: bool = True
    """False when the scan stopped early at a limit."""


def scan(path: str, *, stop_after_bytes: int | None = None) -> Usage:
    """Walk `path` without following symlinks or leaving its file system.

    With `stop_after_bytes`, stops as soon as the total crosses it (complete=False), so a
    check on a huge home answers quickly.
    """
    try:
        top = os.lstat(path)
    except OSError:
        return Usage(path, 0, 0)
    device = top.st_dev
    total = top.st_blocks * 512
    count = 0
    seen: set[tuple[int, int]] = set()
    stack = [path] if os.path.isdir(path) and not os.path.islink(path) else []
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                count += 1
                if st.st_nlink > 1 and not entry.is_dir(follow_symlinks=False):
                    key = (st.st_dev, st.st_ino)
                    if key in seen:
                        continue
                    seen.add(key)
                total += st.st_blocks * 512
                if entry.is_dir(follow_symlinks=False) and st.st_dev == device:
                    stack.append(entry.path)
        if stop_after_bytes is not None and total > stop_after_bytes:
            return Usage(path, total, count, complete=False)
    return Usage(path, total, count)
