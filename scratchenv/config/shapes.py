"""Documented path shapes (`/network/scratch/*/{user}`) matched on disk. A wildcard is a
whole `*` component, as in glob, hidden names excepted; standard library only, without
glob or re, so the start-up cache (login/cache.py) replays exactly what detection saw."""

from __future__ import annotations

import os


def is_shape(path: str) -> bool:
    """Whether `path` is one: wildcards only as whole `*` components."""
    return all(part == "*" or not any(c in part for c in "*?[") for part in path.split("/"))


def own_directories(shape: str) -> list[str]:
    """The user's own existing directories that `shape` matches, sorted."""
    found = []
    for match in sorted(_expand(shape)):
        try:
            st = os.stat(match)
        except OSError:
            continue
        if (st.st_mode & 0o170000) == 0o040000 and st.st_uid == os.getuid():
            found.append(match)
    return found


def _expand(shape: str) -> list[str]:
    found = ["/"]
    for part in shape.strip("/").split("/"):
        if part == "*":
            found = [os.path.join(place, entry.name) for place in found
                     for entry in entries(place) if not entry.name.startswith(".")]
        else:
            found = [os.path.join(place, part) for place in found]
    return found


def entries(place: str) -> list[os.DirEntry[str]]:
    """What is in `place` ([] when it cannot be read)."""
    try:
        with os.scandir(place) as entries:
            return list(entries)
    except OSError:
        return []
