"""Where a path really is: symlinks resolved, bind mounts recognised by device and inode,
and by /proc/self/mountinfo where only part of a tree is bind-mounted elsewhere.

Homes and scratch directories are often symlinked (/home/u -> /gpfs/home/u), so comparing
strings would be fooled both ways; every "is X under Y" question goes through here.
"""

from __future__ import annotations

import os

from scratchenv.locations import below, inside, up_to_root

TYPE_CHECKING = False  # not `typing`: verify's fast path does without it
if TYPE_CHECKING:
    from pathlib import Path

_seen: dict[tuple[str, str], object] | None = None
"""Inside `one_look()`: what was already asked of the file system, by (question, path)."""


class one_look:  # noqa: N801 (used as `with one_look():`)
    """While inside, each path's real path and identity and the mount table are read once:
    a run of checks asks about the same roots and parents hundreds of times, and nothing in
    it changes the file system. Outside, every question is asked afresh."""

    def __enter__(self) -> None:
        global _seen
        self._outer = _seen
        if _seen is None:
            _seen = {}

    def __exit__(self, *exc: object) -> None:
        global _seen
        _seen = self._outer


def _remembered(question: str, path: str, answer):  # noqa: ANN001, ANN202
    seen = _seen  # once: another thread may end the look meanwhile
    if seen is None:
        return answer(path)
    key = (question, path)
    if key not in seen:
        seen[key] = answer(path)
    return seen[key]


def real(path: str | os.PathLike[str]) -> str:
    """os.path.realpath, once per path inside `one_look()`."""
    return _remembered("real", os.fspath(path), _real)


def _real(path: str) -> str:
    if (_seen is None or not path.startswith("/") or "\0" in path
            or path != os.path.normpath(path)):
        return os.path.realpath(path)
    # Inside a look, from the parent's real path (remembered: the checks' paths share their
    # roots), as realpath walks it: a part that is no symlink, or missing, is kept as it is.
    parent, name = os.path.split(path)
    if not name:
        return path
    if os.path.islink(path):
        return os.path.realpath(path)
    return os.path.join(real(parent), name)


def without_dots(path: Path) -> Path:
    """`path` with its `.` and `..` taken out, meaning what the kernel means: `link/..` is
    the parent of where `link` points, so only there is a symlink resolved."""
    from pathlib import Path

    parts: list[str] = []
    for part in path.parts:
        if part != "..":
            parts.append(part)
            continue
        if len(parts) > 1 and Path(*parts).is_symlink():
            parts = list(Path(os.path.realpath(Path(*parts))).parts)
        if len(parts) > 1:  # `/..` is `/`
            parts.pop()
    return Path(*parts) if parts else path


def identity(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """(device, inode) of what `path` points at, or None when it does not exist."""
    return _remembered("identity", os.fspath(path), _identity)


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def is_within(path: str | os.PathLike[str], ancestor: str | os.PathLike[str]) -> bool:
    """True when `path` resolves to `ancestor` itself or to something below it.

    Parts of `path` that do not exist yet are fine: their nearest existing ancestor decides.
    """
    resolved = real(path)
    target = identity(ancestor)
    if target is None:
        return inside(resolved, real(ancestor))
    if any(identity(candidate) == target for candidate in up_to_root(resolved)):
        return True
    return _bound_within(resolved, ancestor)


def _bound_within(resolved: str, ancestor: str | os.PathLike[str]) -> bool:
    """True when `resolved` lies in a bind mount of part of `ancestor`'s tree (a directory
    of home bind-mounted on scratch): the same device, and below it inside that file system."""
    here, there = device_path(resolved), device_path(ancestor)
    return (here is not None and there is not None and here[0] == there[0]
            and inside(here[1], there[1]))


def same_place(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when `a` and `b` are the same file or directory (or would be, once created)."""
    ida, idb = identity(a), identity(b)
    if ida is not None and idb is not None:
        return ida == idb
    return real(a) == real(b)


def nearest_existing(path: str | os.PathLike[str]) -> str:
    """The closest ancestor of `path` (or `path` itself) that exists: the one walk up."""
    current = os.fspath(path)
    while not os.path.exists(current):
        parent = os.path.dirname(current) or "."  # a relative path ends at the working dir
        if parent == current:
            break
        current = parent
    return current


def escapes(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> str | None:
    """Why `path` is not strictly inside `root`, or None when it is: written below the root,
    and still below it once every symlink *above* it is resolved (`path` itself may be a
    link: removing it removes the link). Bind mounts count by device and inode."""
    written, top = os.path.normpath(os.path.abspath(path)), os.path.normpath(os.path.abspath(root))
    if not below(written, top):
        return f"not inside the root {root}"
    real_parent = os.path.realpath(os.path.dirname(written))
    real = os.path.join(real_parent, os.path.basename(written))
    if not is_within(real_parent, top):
        return f"it leads outside the root {root} (to {real}) through a symlink"
    return None


def mount_point(path: str | os.PathLike[str]) -> str:
    """The mount point of the file system that holds `path` (or its nearest existing part)."""
    current = nearest_existing(os.path.realpath(path))
    while not os.path.ismount(current):
        current = os.path.dirname(current)
    return current


MOUNTINFO = "/proc/self/mountinfo"


def unescaped(field: str) -> str:
    """A path from mountinfo or /proc/mounts, which write space, tab, newline and backslash
    in paths as octal escapes."""
    if "\\" not in field:
        return field
    import re

    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mounts() -> list[tuple[str, str, str]]:
    """Every mount of this process's namespace as (mount point, device, root inside the
    device's file system): a bind mount shows the directory it shows as its root. Empty
    where there is no /proc (then only a device change reveals a mount)."""
    return _remembered("mounts", MOUNTINFO, _read_mounts)


def _read_mounts(_: str) -> list[tuple[str, str, str]]:
    try:
        with open(MOUNTINFO, encoding="utf-8", errors="surrogateescape") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split(" ")
        if len(fields) > 4:
            found.append((unescaped(fields[4]), fields[2], unescaped(fields[3])))
    return found


def _mount_table(_: str) -> dict[str, tuple[str, str]]:
    return {point: (device, root) for point, device, root in mounts()}


def mount_points_in(path: str | os.PathLike[str]) -> list[str]:
    """The mount points at or below `path` once its symlinks are resolved (real paths,
    sorted): bind mounts of the same file system included, which `st_dev` cannot see."""
    real = os.path.realpath(path)
    return sorted({point for point, _, _ in mounts() if inside(point, real)})


def device_path(path: str | os.PathLike[str]) -> tuple[str, str] | None:
    """(device, path inside that device's file system) of `path` once its symlinks are
    resolved: the same for a directory and for a bind mount showing it, wherever mounted.
    None without mountinfo."""
    return _remembered("device_path", real(path), _device_path)


def _device_path(resolved: str) -> tuple[str, str] | None:
    # The deepest mount point holding it; of two on the same point, the later (on top).
    table = _remembered("mount table", MOUNTINFO, _mount_table)
    point = next((place for place in up_to_root(resolved) if place in table), None)
    if point is None:
        return None
    device, root = table[point]
    rest = os.path.relpath(resolved, point)
    return device, os.path.normpath(os.path.join(root, rest) if rest != "." else root)


def mount_points() -> frozenset[str]:
    """Every mount point (real paths) of this namespace, bind mounts of the same file system
    included, which st_dev cannot tell: read once by a walk that asks per directory."""
    return frozenset(point for point, _, _ in mounts())


def is_mount_point(path: str | os.PathLike[str], points: frozenset[str] | None = None) -> bool:
    """True when `path` (itself, not followed if a symlink) is where a file system or a bind
    mount is mounted. `points`: mount_points(), read once by callers asking per directory."""
    text = os.fspath(path)
    if os.path.islink(text):
        return False
    real = os.path.realpath(text)
    if os.path.ismount(real):  # another device, or the namespace's root
        return True
    return real in (mount_points() if points is None else points)


def symlink_between(top: str, path: str) -> str | None:
    """The first directory strictly between `top` and `path` (as written, both normalised)
    that is a symlink, or None: `path` then lies wherever that link leads (a lab's shared
    cache behind ~/.cache), not in `top` as it seems. `top` itself may be a link."""
    if not below(path, top):
        return None
    current = top.rstrip("/") or "/"
    for part in path[len(current):].strip("/").split("/")[:-1]:
        current = os.path.join(current, part)
        if os.path.islink(current):
            return current
    return None
