"""Who can change the path to a directory: each directory the kernel passes through,
symlinks followed, judged by who could rename or repoint it (the scratch root, a config
file reached through a symlink). Standard library only."""

from __future__ import annotations

import os
import stat

from scratchenv.config.reading import Untrusted, others_can_write

TYPE_CHECKING = False  # not `typing`: its import costs the login path ~2 ms
if TYPE_CHECKING:
    from collections.abc import Iterator


def _traversal(path: str, links: list[str] | None = None
               ) -> Iterator[tuple[str, os.stat_result | None, os.stat_result, bool]]:
    """Each directory the kernel passes through to reach `path`, symlinks followed:
    (path, its lstat or None when missing, its parent's lstat, whether it is the last).
    Each symlink on the way that others could replace (repoint) is added to `links`."""
    pending = [part for part in path.split("/") if part]
    current, current_st = "/", os.lstat("/")
    hops = 0
    while pending:
        name = pending.pop(0)
        if name == ".":
            continue
        if name == "..":
            current = os.path.dirname(current)
            current_st = os.lstat(current)
            continue
        candidate = os.path.join(current, name)
        try:
            st = os.lstat(candidate)
        except (FileNotFoundError, NotADirectoryError):
            yield candidate, None, current_st, not pending
            return
        if stat.S_ISLNK(st.st_mode):
            if links is not None and _replaceable(st, current_st):
                links.append(candidate)
            hops += 1
            if hops > 40:
                raise Untrusted(f"{path}: too many levels of symlinks")
            target = os.readlink(candidate)
            if target.startswith("/"):
                current, current_st = "/", os.lstat("/")
            pending = [part for part in target.split("/") if part] + pending
            continue
        yield candidate, st, current_st, not pending
        if not stat.S_ISDIR(st.st_mode):
            return
        current, current_st = candidate, st


def root_problem(root: str) -> str | None:
    """Why `root` is on a path another user can change, or None.

    Refused: a root inside a directory another user can write (world- or group-writable,
    or owned by someone else), unless an existing directory of the user's with mode 0700
    leads to it, in a place nobody else can rename it (a sticky or private parent). A root
    that does not exist yet under such a directory could be made by anyone first.
    """
    exposed: str | None = None
    links: list[str] = []
    try:
        for path, st, parent, last in _traversal(root, links):
            if links:
                return f"{root}: {_through(links[0])}"
            if st is None:
                if exposed is not None:
                    return (f"{root} does not exist and {exposed} on the way is writable by "
                            f"others (anyone could create it first); create a directory of "
                            f"yours with mode 0700 to hold it: mkdir -m 700 DIR")
                return None
            if last:
                break
            if others_can_write(st):
                exposed = path
            elif (exposed is not None and st.st_uid == os.getuid()
                  and not st.st_mode & (stat.S_IRWXG | stat.S_IRWXO)
                  and _cannot_be_renamed_by_others(parent)):
                exposed = None
    except (OSError, Untrusted) as error:
        return f"cannot follow the path to {root}: {error}"
    if exposed is not None:
        return (f"{root} is inside {exposed}, which others can write (they could replace what "
                f"leads to it); put it under a directory of yours with mode 0700")
    return None


def _replaceable(entry: os.stat_result, parent: os.stat_result) -> bool:
    """Whether someone else could remove `entry` from `parent` and put another in its place:
    the parent is writable by others, unless it is sticky and both it and the entry are the
    user's or root's (then only they may rename or remove the entry)."""
    if not others_can_write(parent):
        return False
    mine = (os.getuid(), 0)
    return not (parent.st_mode & stat.S_ISVTX and parent.st_uid in mine
                and entry.st_uid in mine)


def replaceable_link(path: str) -> str | None:
    """The first symlink on the way to `path` (its own name included) that someone else
    could repoint, or None: a path through it is a path others can change."""
    links: list[str] = []
    try:
        for _ in _traversal(os.path.abspath(path), links):
            if links:
                break
    except (OSError, Untrusted):
        return None  # the callers' own checks say what is wrong
    return links[0] if links else None


def link_problem(path: str) -> str | None:
    """One line on why `path` is reached through a symlink others could repoint, or None."""
    link = replaceable_link(path)
    return None if link is None else _through(link)


def _through(link: str) -> str:
    return (f"it is reached through the symlink {link}, which others could repoint "
            f"({os.path.dirname(link)} is writable by others); use the real path")


def _cannot_be_renamed_by_others(parent: os.stat_result) -> bool:
    """Entries of `parent` stay put: nobody else may write it, or it is sticky and its
    owner is the user or root."""
    if not others_can_write(parent):
        return True
    return bool(parent.st_mode & stat.S_ISVTX) and parent.st_uid in (os.getuid(), 0)
