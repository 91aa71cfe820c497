"""Quotas: `lfs quota` (Lustre), `mmlsquota` (GPFS / Storage Scale), `quota -s` (linuxquota),
then statvfs for the file system as a whole. Parsers are pure functions over the tools' text.

Recorded real outputs of every tool live in tests/fixtures/quota/ (README there says where
each came from); the parsers are tested against them.
"""

from __future__ import annotations

import os
from functools import partial

from scratchenv.plain import record
from scratchenv.realpaths import mount_point, unescaped
from scratchenv.units import parse_amount

TYPE_CHECKING = False  # not `typing`: verify's fast path does without it
if TYPE_CHECKING:
    from typing import Literal

    Source = Literal["lfs", "mmlsquota", "quota", "statvfs", "showquota",
                     "diskusage_report", "beegfs-ctl"]
    Kind = Literal["user", "group", "project", "fileset"]
else:
    Source = Kind = str

TIMEOUT = 20.0
"""Seconds a quota tool may take (a hung Lustre server must not hang verify)."""


# Plain records (plain.py), not pydantic models: verify asks for a quota at every run, and
# importing pydantic cost more than the check (issue 27). Only our parsers build them.


@record(kw_only=True)
class Limit:
    """Usage against one limit (bytes or files). A limit of 0 in the tools means none."""

    used: int
    soft: int | None = None
    hard: int | None = None
    grace: str | None = None
    """Time left to get under the soft limit, as the tool says it ("3days", "6d23h",
    "expired", "none" = expired in linuxquota); None when not in a grace period."""
    in_doubt: int | None = None
    """GPFS only: usage not yet accounted for."""

    @property
    def over_soft(self) -> bool:
        return self.soft is not None and self.used > self.soft

    @property
    def at_hard(self) -> bool:
        return self.hard is not None and self.used >= self.hard

    @property
    def nearest(self) -> int | None:
        """The limit usage meets first: the soft one, else the hard one."""
        return self.soft or self.hard

    def near(self, share: float) -> bool:
        """Usage at `share` (thresholds.quota_near) of the nearest limit, or over the soft one."""
        return self.over_soft or (self.nearest is not None and self.used >= share * self.nearest)


@record(kw_only=True)
class Quota:
    """One file system's usage and limits for the user, from one source."""

    source: Source
    filesystem: str
    """As the tool names it: a mount point, a device, or a GPFS file system name."""
    bytes: Limit
    files: Limit
    kind: Kind = "user"
    """Whose quota: the user's, a group's, a Lustre project's or a GPFS fileset's."""
    owner: str | None = None
    """The group, project id or fileset the quota is for (None: the user's own)."""

    def describe(self) -> str:
        """"your quota" or "group bioinfo's quota", and where it comes from."""
        whose = "your quota" if self.kind == "user" else f"{self.kind} {self.owner}'s quota"
        return f"{whose} ({self.source} on {self.filesystem})"


# --- sizes and counts as the tools print them --------------------------------------------

# Patterns are compiled by `re` on first use, and each parser imports `re` itself: verify
# imports this module at every run and, on most machines, has no tool output to parse.
_NUMBER = r"^\[?(?P<amount>\d+(?:\.\d+)?[kKmMgGtTpPeE]?)\]?(?P<star>\*?)$"


def _value(token: str, *, base: int, scale: int = 1) -> tuple[int, bool]:
    """`token` as an int (times `scale` when it has no unit) and whether it had a `*`:
    `quota` brackets what is in doubt and stars what is over its limit."""
    import re

    match = re.match(_NUMBER, token)
    if not match:
        raise ValueError(f"not a number: {token!r}")
    return parse_amount(match["amount"], base=base, scale=scale), bool(match["star"])


def _limit(token: str, *, base: int, scale: int = 1) -> int | None:
    value, _ = _value(token, base=base, scale=scale)
    return value or None


def _grace(token: str | None) -> str | None:
    return None if token in (None, "", "-") else token


def _tables(text: str, ends: tuple[str, ...]) -> list[tuple[list[str], list[str], int]]:
    """(header, body lines, header's line number) of each "Filesystem ... files ..." table."""
    lines = text.splitlines()
    tables = []
    for index, line in enumerate(lines):
        header = line.split()
        if header[:1] != ["Filesystem"] or "files" not in header:
            continue
        body = []
        for following in lines[index + 1:]:
            if following.startswith(ends) or "Filesystem" in following:
                break
            body.append(following)
        tables.append((header, body, index))
    return tables


def _rows(lines: list[str], width: int) -> list[list[str]]:
    """Data rows, re-joining a name the tool printed on a line of its own (long names).

    A row's second word is a number: lfs follows a table of `[...]` values with "Some errors
    happened when getting quota info. ..." on stdout, which is not a file system.
    """
    import re

    rows, pending = [], None
    for line in lines:
        tokens = line.split()
        if not tokens:
            continue
        if len(tokens) == 1 and pending is None:
            pending = tokens[0]
            continue
        if pending is not None:
            tokens = [pending, *tokens]
            pending = None
        if len(tokens) >= width and re.match(_NUMBER, tokens[1]):
            rows.append(tokens)
    return rows


# --- lfs quota -------------------------------------------------------------------------------

_LFS_END = ("Disk quotas", "uid ", "gid ", "prj ")


_LFS_KINDS: dict[str, Kind] = {"usr": "user", "grp": "group", "prj": "project"}
_LFS_TITLE = r"Disk quotas for (?P<kind>usr|grp|prj) (?P<owner>\S+)"


def parse_lfs(text: str) -> list[Quota]:
    """`lfs quota [-h] -u USER | -g GROUP | -p PROJID MOUNT`: kbytes (or sizes with -h),
    files, limits, grace; whose quota from the "Disk quotas for usr|grp|prj" line."""
    import re

    quotas: list[Quota] = []
    lines = text.splitlines()
    for header, body, index in _tables(text, _LFS_END):
        scale = 1024 if header[1] == "kbytes" else 1
        for row in _rows(body, 9):
            name, cells = row[0], row[1:9]
            used, _ = _value(cells[0], base=1024, scale=scale)
            files, _ = _value(cells[4], base=1000)
            title = next((match for line in reversed(lines[:index])
                          if (match := re.match(_LFS_TITLE, line.strip()))), None)
            kind: Kind = _LFS_KINDS[title["kind"]] if title else "user"
            quotas.append(Quota(
                source="lfs", filesystem=name, kind=kind,
                owner=title["owner"] if title and kind != "user" else None,
                bytes=Limit(used=used, soft=_limit(cells[1], base=1024, scale=scale),
                            hard=_limit(cells[2], base=1024, scale=scale), grace=_grace(cells[3])),
                files=Limit(used=files, soft=_limit(cells[5], base=1000),
                            hard=_limit(cells[6], base=1000), grace=_grace(cells[7])),
            ))
    return quotas


# --- quota -s (linuxquota) -------------------------------------------------------------------


def parse_quota(text: str) -> list[Quota]:
    """`quota [-s]`: space (1K blocks without -s), files; a grace column appears only after
    a value marked `*` (over its soft limit). Sizes are 1024-based, file counts 1000-based."""
    import re

    quotas: list[Quota] = []
    for _, body, _ in _tables(text, ("Disk quotas",)):
        for row in _rows(body, 7):
            name, cells = row[0], row[1:]
            # Without -s the column is "blocks" of 1 KiB; with -s sizes carry a unit.
            used, over = _value(cells[0], base=1024, scale=1024)
            at = 3
            # The grace column follows a starred value, unless the tool left it out.
            has_grace = over and len(cells) > at and not re.match(_NUMBER, cells[at])
            grace = cells[at] if has_grace else None
            at += has_grace
            if len(cells) < at + 3:
                raise ValueError(f"a quota row too short to read: {' '.join(row)}")
            files, files_over = _value(cells[at], base=1000)
            files_grace = cells[at + 3] if files_over and len(cells) > at + 3 else None
            size = partial(_limit, base=1024, scale=1024)
            quotas.append(Quota(
                source="quota", filesystem=name,
                bytes=Limit(used=used, soft=size(cells[1]), hard=size(cells[2]), grace=grace),
                files=Limit(used=files, soft=_limit(cells[at + 1], base=1000),
                            hard=_limit(cells[at + 2], base=1000), grace=files_grace),
            ))
    return quotas


# --- mmlsquota (GPFS / IBM Storage Scale) ----------------------------------------------------

_KINDS: dict[str, Kind] = {"USR": "user", "GRP": "group", "FILESET": "fileset"}
_TYPES = set(_KINDS)


def parse_mmlsquota(text: str) -> list[Quota]:
    """`mmlsquota [-u USER] [--block-size auto]`: block and file limits either side of `|`,
    with or without a Fileset column; "no limits" rows carry no numbers and are skipped."""
    quotas: list[Quota] = []
    scale = 1024
    group = None
    for line in text.splitlines():
        tokens = line.split()
        if tokens[:4] == ["Disk", "quotas", "for", "group"] and len(tokens) > 4:
            group = tokens[4]
        if tokens[:1] == ["Filesystem"]:
            # "KB" columns are KiB; with --block-size auto the column is "blocks" with units.
            scale = 1024 if "KB" in tokens else 1
            continue
        if "|" not in line:
            continue
        left, right = (part.split() for part in line.split("|", 1))
        kind = next((i for i, token in enumerate(left) if token in _TYPES), None)
        if kind is None or len(left) < kind + 6 or len(right) < 4:
            continue
        name = ":".join(left[:kind])  # "fs" or "fs:fileset"
        used, soft, hard, doubt = left[kind + 1:kind + 5]
        size = partial(_limit, base=1024, scale=scale)
        files = [_value(token, base=1000)[0] for token in right[:4]]
        kind_of = _KINDS[left[kind]]
        owner = {"user": None, "group": group, "fileset": left[kind - 1]}[kind_of]
        quotas.append(Quota(
            source="mmlsquota", filesystem=name, kind=kind_of, owner=owner,
            bytes=Limit(used=_value(used, base=1024, scale=scale)[0], soft=size(soft),
                        hard=size(hard), in_doubt=_value(doubt, base=1024, scale=scale)[0],
                        grace=_gpfs_grace(left[kind + 5:])),
            files=Limit(used=files[0], soft=files[1] or None, hard=files[2] or None,
                        in_doubt=files[3], grace=_gpfs_grace(right[4:])),
        ))
    return quotas


def _gpfs_grace(tokens: list[str]) -> str | None:
    """GPFS grace: "none", "expired", or "<n> days|hours|minutes" (two tokens)."""
    if not tokens or tokens[0] == "none":
        return None
    if tokens[0].isdigit() and len(tokens) > 1:
        return f"{tokens[0]} {tokens[1]}"
    return tokens[0]


# --- finding the right quota for a path ------------------------------------------------------


def mount_of(path: str) -> tuple[str, str, str]:
    """(source, mount point, fs type) of the file system that holds `path`."""
    point = mount_point(path)
    found = ("", point, "")
    try:
        with open("/proc/self/mounts", encoding="utf-8") as mounts:
            for line in mounts:
                fields = line.split()
                if len(fields) >= 3 and unescaped(fields[1]) == point:
                    found = (unescaped(fields[0]), point, fields[2])
    except OSError:
        pass
    return found


def user_quota(path: str, user: str, *, timeout: float = TIMEOUT) -> Quota | None:
    """The user's quota on the file system holding `path`, from the first tool that answers
    (all of them together within `timeout` seconds); None when no quota tool knows it
    (statvfs says nothing about one user)."""
    import time

    from scratchenv import proc

    deadline = time.monotonic() + timeout
    source, point, fstype = mount_of(path)
    attempts = []
    if fstype == "lustre" and proc.which("lfs"):
        attempts.append((["lfs", "quota", "-u", user, point], parse_lfs))
    if fstype == "gpfs" and proc.which("mmlsquota"):
        attempts.append((["mmlsquota", "-u", user], parse_mmlsquota))
    if proc.which("quota"):
        attempts.append((["quota", "-s", "-u", user], parse_quota))
    for argv, parse in attempts:
        left = deadline - time.monotonic()
        text = run_tool(argv, timeout=left) if left > 0 else None
        if text is None:
            continue
        try:
            quotas = parse(text)
        except ValueError:  # output in a shape never seen: the next source may answer
            continue
        match = pick(quotas, source=source, point=point)
        if match is not None:
            return match
    return None


def pick(quotas: list[Quota], *, source: str, point: str) -> Quota | None:
    """The entry for this file system: named by its device, mount point or GPFS name."""
    names = {source, point, os.path.basename(source.rstrip("/")), source.split(":")[-1]}
    for quota in quotas:
        if quota.filesystem in names or quota.filesystem.split(":")[0] in names:
            return quota
    return None


def run_tool(argv: list[str], *, timeout: float = TIMEOUT) -> str | None:
    """A quota tool's stdout, or None (missing, no answer in time, nothing printed)."""
    from scratchenv import proc
    from scratchenv.errors import ScratchenvError

    try:
        result = proc.run(argv, timeout=timeout, cwd=proc.SAFE_CWD)  # a probe: never in cwd
    except ScratchenvError:
        return None
    # `quota` exits 1 when over quota but still prints the table.
    return result.stdout if result.stdout.strip() else None


def filesystem_usage(path: str) -> Quota | None:
    """statvfs of the file system holding `path`: everyone's usage, its size and inodes."""
    point = mount_point(path)
    try:
        fs = os.statvfs(point)
    except OSError:
        return None
    return Quota(
        source="statvfs", filesystem=point,
        bytes=Limit(used=(fs.f_blocks - fs.f_bfree) * fs.f_frsize,
                    hard=fs.f_blocks * fs.f_frsize or None),
        files=Limit(used=fs.f_files - fs.f_ffree, hard=fs.f_files or None),
    )


def free_space(path: str) -> int:
    """Bytes an unprivileged user can still write on the file system holding `path`."""
    from scratchenv.realpaths import nearest_existing

    fs = os.statvfs(nearest_existing(path))
    return fs.f_bavail * fs.f_frsize
