"""Purge awareness: files on scratch that a purge policy is about to delete (report only).

Many centres delete scratch files unused for N days (10 to 90). A partial purge is the
dangerous kind: a venv missing a few old files imports fine until it does not. So for the
costly-to-rebuild places (the venv, the toolchains, the checkpoint directories) we count
the files older than `purge.days - purge.margin_days`.

Age is measured from what the policy looks at (`purge.by`: atime or mtime), or, when that
is not set, from the later of the access and modification times: purge tools delete what
was neither read nor written for N days (e.g. `lfs find -atime +N -mtime +N`). ctime
is left out because a rename or chmod is not use, and some purgers ignore it. On a
`noatime` mount reads do not count, so files look older: the report errs towards warning.
We only lstat: the report never reads or touches a file (touching files to dodge a purge
is forbidden at many centres, and reading them would change what we measure).
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

from scratchenv.plain import record
from scratchenv.plan import Plan

WATCHED = {"env": "envs", "toolchain": "toolchains"}
"""The catalogue groups whose locations are costly to rebuild, by the place name a report
gives them (with "checkpoints": the checkpoint directories)."""


@record
class PurgeRisk:
    """Files in one place older than the warning age."""

    place: str
    """envs, toolchains or checkpoints."""
    path: str
    old_files: int
    old_bytes: int
    files: int
    oldest_days: int
    warn_days: int
    purge_days: int
    by: str | None = None

    def describe(self) -> str:
        return (f"{self.old_files:,} of {self.files:,} files {UNUSED[self.by]} for over "
                f"{self.warn_days} days (oldest: {self.oldest_days}); scratch purges after "
                f"{self.purge_days} {POLICY[self.by]}: rebuild or archive before a partial "
                "purge breaks it")


UNUSED = {"atime": "unread", "mtime": "unwritten", None: "unused"}
POLICY = {"atime": "by atime (last read)", "mtime": "by mtime (last write)",
          None: "by atime or mtime (purge.by unset: the later counts)"}


def _last_use(by: str | None) -> Callable[[os.stat_result], float]:
    if by == "atime":
        return lambda st: st.st_atime
    if by == "mtime":
        return lambda st: st.st_mtime
    return lambda st: max(st.st_atime, st.st_mtime)


def places(plan: Plan) -> list[tuple[str, str]]:
    """(place, path): the plan's env and toolchain locations, then checkpoint directories."""
    from scratchenv.checkpoints.directories import directories

    found: dict[str, str] = {}
    for change in plan.variables:
        entry = change.entry
        # Only the scratch root is purged: what the tiers put on the persistent root is safe.
        if entry is not None and entry.group in WATCHED and change.tier == "scratch":
            found.setdefault(change.value, WATCHED[entry.group])
    for _, path in directories(plan, Path(plan.root)):  # on either tier
        found.setdefault(str(path), "checkpoints")
    return [(place, path) for path, place in found.items()]


def _old_files(path: str, cutoff: float, by: str | None = None
               ) -> tuple[int, int, int, float]:
    """(old files, their bytes, all files, oldest last-use time) below `path`."""
    old = old_bytes = total = 0
    oldest = float("inf")
    try:
        device = os.lstat(path).st_dev
    except OSError:
        return 0, 0, 0, oldest
    last_use = _last_use(by)
    stack = [path]
    while stack:
        try:
            listing = os.scandir(stack.pop())
        except OSError:
            continue
        with listing:
            for entry in listing:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISDIR(st.st_mode):
                    if st.st_dev == device:
                        stack.append(entry.path)
                    continue
                if not stat.S_ISREG(st.st_mode):
                    continue
                total += 1
                used = last_use(st)
                oldest = min(oldest, used)
                if used < cutoff:
                    old += 1
                    old_bytes += st.st_size
    return old, old_bytes, total, oldest


def at_risk(plan: Plan, now: float | None = None) -> list[PurgeRisk]:
    """Places holding files older than the warning age; empty when no purge is configured."""
    purge = plan.purge
    if purge.days is None:
        return []
    now = time.time() if now is None else now
    warn_days = max(purge.days - purge.margin_days, 0)
    cutoff = now - warn_days * 86400
    risks = []
    for place, path in places(plan):
        old, old_bytes, total, oldest = _old_files(path, cutoff, purge.by)
        if old:
            risks.append(PurgeRisk(place, path, old, old_bytes, total,
                                   int((now - oldest) // 86400), warn_days, purge.days,
                                   purge.by))
    return risks
