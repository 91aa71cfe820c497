"""The room a user really has under a path: the smaller of what the file system has free
(statvfs) and what each quota that applies leaves (bytes and files, hard limits), and
which of them binds. A soft limit already exceeded is said, with its grace period; once
the grace has run out the soft limit is as binding as the hard one. And whether the moves
of the transfer engine fit (SpaceCheck: one per destination file system).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from scratchenv.disk.quota import TIMEOUT, Limit, Quota
from scratchenv.plain import record
from scratchenv.realpaths import nearest_existing
from scratchenv.units import format_size

TYPE_CHECKING = False  # not `typing`: verify's fast path does without it
if TYPE_CHECKING:
    from scratchenv.disk.survey import Survey


@record
class Room:
    """Bytes and files that can still be written under `path`, and what limits each."""

    path: str
    bytes: int
    bytes_by: str
    """What binds: "the file system" or a quota, e.g. "your quota (lfs on /scratch)"."""
    files: int | None
    """None when neither the file system nor a quota counts files."""
    files_by: str
    notes: tuple[str, ...] = ()
    """Soft limits already exceeded, with their grace period."""

    def short_of(self, need_bytes: int, need_files: int = 0) -> str | None:
        """Why `need_bytes` and `need_files` do not fit, naming the binding limit; None when
        they do."""
        if need_bytes > self.bytes:
            return (f"{format_size(self.bytes)} left, {format_size(need_bytes)} needed "
                    f"(limited by {self.bytes_by})")
        if self.files is not None and need_files > self.files:
            return f"{self.files:,} files left, {need_files:,} needed (limited by {self.files_by})"
        return None

    def describe(self) -> str:
        """"812G free (limited by the file system)"; the notes are apart."""
        text = f"{format_size(self.bytes)} free (limited by {self.bytes_by})"
        if self.files is not None and self.files_by != "the file system":
            text += f", {self.files:,} files (limited by {self.files_by})"
        return text


def room(path: str, user: str, *, quotas: list[Quota] | None = None,
         timeout: float = TIMEOUT, source: str | None = None) -> Room:
    """The room under `path` (or its nearest existing parent). `quotas`: those that apply
    (default: asked from the tools on PATH within `timeout`, `source` first: the
    `quota_source` setting). Raises OSError when statvfs cannot tell."""
    vfs = os.statvfs(nearest_existing(path))
    best_bytes, bytes_by = vfs.f_bavail * vfs.f_frsize, "the file system"
    best_files: int | None = vfs.f_favail if vfs.f_files else None
    files_by = "the file system"
    if quotas is None:
        from scratchenv.disk.quota_sources import quotas_for

        quotas = quotas_for(path, user, timeout=timeout, source=source)
    notes: list[str] = []
    for quota in quotas:
        left, why, note = _left(quota.bytes, quota, "space", format_size)
        if note:
            notes.append(note)
        if left is not None and left < best_bytes:
            best_bytes, bytes_by = left, why
        left, why, note = _left(quota.files, quota, "files", lambda n: f"{n:,} files")
        if note:
            notes.append(note)
        if left is not None and (best_files is None or left < best_files):
            best_files, files_by = left, why
    return Room(path, best_bytes, bytes_by, best_files, files_by, tuple(notes))


def _left(limit: Limit, quota: Quota, what: str,
          show: Callable[[int], str]) -> tuple[int | None, str, str | None]:
    """(what this limit leaves, its name, a note when over its soft limit)."""
    note = None
    expired = limit.grace in ("none", "expired")
    if limit.over_soft and limit.soft is not None:
        if expired:
            return 0, f"{quota.describe()}: soft limit {show(limit.soft)}, grace expired", (
                f"over the {what} soft limit of {quota.describe()} and its grace period "
                "has run out: writes fail until usage is below it")
        note = (f"over the {what} soft limit {show(limit.soft)} of {quota.describe()}: grace "
                f"{limit.grace or 'running'}; get below it before the grace ends or writes fail")
    if limit.hard is None:
        return None, "", note
    return (max(limit.hard - limit.used, 0),
            f"{quota.describe()}: hard limit {show(limit.hard)}, {show(limit.used)} used", note)


@record
class SpaceCheck:
    """What a move needs on one destination file system, against the room there."""

    path: str
    need_bytes: int
    need_inodes: int
    room: Room
    """Free space and files: the file system's, or less when a quota leaves less."""

    @property
    def ok(self) -> bool:
        return self.room.short_of(self.need_bytes, self.need_inodes) is None

    def describe(self) -> str:
        if not (self.need_bytes or self.need_inodes):
            return f"{self.path}: nothing to copy (the same file system: hard links)"
        need = f"needs {format_size(self.need_bytes)} and {self.need_inodes:,} inodes"
        short = self.room.short_of(self.need_bytes, self.need_inodes)
        if short is not None:
            return f"{self.path} {need}: NOT ENOUGH, {short}"
        free = self.room.describe()
        if self.room.files is not None:
            free += f", {self.room.files:,} inodes"
        return f"{self.path} {need}; has {free}: ok"


def room_at(path: str) -> Room:
    """The room under `path` (or its nearest parent): statvfs, and the quotas that apply."""
    from scratchenv.locations import current_user

    return room(path, current_user())


def _device_and_mount(path: str) -> tuple[int, str]:
    found = nearest_existing(path)
    return os.stat(found).st_dev, found


def space_checks_for(moves: Sequence[tuple[str, Survey]]) -> list[SpaceCheck]:
    """One check per destination file system, for (destination, survey) pairs."""
    needs: dict[int, tuple[str, int, int]] = {}
    for dest, planned in moves:
        device, path = _device_and_mount(dest)
        nbytes, inodes = planned.space_needed()
        first, b, i = needs.get(device, (path, 0, 0))
        needs[device] = (first, b + nbytes, i + inodes)
    checks = []
    for path, nbytes, inodes in needs.values():
        checks.append(SpaceCheck(path, nbytes, inodes, room_at(path)))
    return checks
