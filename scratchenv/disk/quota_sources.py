"""The quota tools centres ship beside lfs/mmlsquota/quota, and the quotas that are not the
user's own: NERSC `showquota --json`, the Alliance's `diskusage_report`, BeeGFS
`beegfs-ctl --getquota`, and the group, project and fileset quotas of a root that is a
group or project directory (`lfs quota -g/-p`, `mmlsquota -j`).

Each tool is asked only when it is on PATH and only where it applies, and every call
shares one deadline (quota.TIMEOUT in all). A centre's documented tool (the `quota_source`
setting, SOURCES) is asked first, whatever the mount's type says. Parsers are pure; recorded
outputs are in tests/fixtures/quota/ (its README says where each came from).
"""

from __future__ import annotations

import grp
import os
import time
from collections.abc import Callable

from scratchenv.disk.quota import (
    Kind,
    Limit,
    Quota,
    mount_of,
    parse_lfs,
    parse_mmlsquota,
    parse_quota,
    pick,
)
from scratchenv.plain import replace
from scratchenv.units import parse_amount

Parser = Callable[[str], list[Quota]]

# --- NERSC showquota --json ------------------------------------------------------------------


def parse_showquota(text: str) -> list[Quota]:
    """`showquota --json`: a list of {fs, space_used, space_quota, inode_used, inode_quota}.
    Sizes are bytes, or text with a unit ("1.2GiB") as the human output prints them."""
    import json

    rows = json.loads(text)
    if not isinstance(rows, list):
        raise ValueError("showquota --json: not a list")
    quotas = []
    for row in rows:
        if not isinstance(row, dict) or "fs" not in row:
            continue
        quotas.append(Quota(
            source="showquota", filesystem=str(row["fs"]),
            bytes=Limit(used=_amount(row.get("space_used"), base=1024) or 0,
                        hard=_amount(row.get("space_quota"), base=1024) or None),
            files=Limit(used=_amount(row.get("inode_used"), base=1000) or 0,
                        hard=_amount(row.get("inode_quota"), base=1000) or None),
        ))
    return quotas


def _amount(value: object, *, base: int) -> int | None:
    """12, 12.5, "12", "12k", "1.5 GiB", "0  B" as a number (base 1024 sizes, 1000 counts);
    None for no limit."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        value = repr(value) if isinstance(value, int) else f"{value:f}"
    text = str(value)
    if text.strip().lower() in ("unlimited", "none", "-"):
        return None
    return parse_amount(text, base=base)


# --- Alliance (Digital Research Alliance of Canada) diskusage_report -------------------------

# Patterns are compiled by `re` on first use, and each parser imports `re` itself: verify
# imports this module at every run and, on most machines, has no tool output to parse.
_DISKUSAGE_ROW = (
    r"^\s*(?P<path>/\S*)\s+\((?P<kind>user|group|project)\s+(?P<owner>[^)]+)\)\s+"
    r"(?P<used>[^/]+?)\s*/\s*(?P<limit>\S+)\s+(?P<fused>[^/]+?)\s*/\s*(?P<flimit>\S+)\s*$")


_DISKUSAGE_KINDS: dict[str, Kind] = {"user": "user", "group": "group", "project": "project"}


def parse_diskusage_report(text: str) -> list[Quota]:
    """`diskusage_report`: "/scratch (user alice)  148GiB/ 500GiB  418K/ 500K" rows; sizes
    are 1024-based ("109k/50G", "20GiB"), file counts 1000-based ("208K", "1000k")."""
    import re

    quotas = []
    for line in text.splitlines():
        match = re.match(_DISKUSAGE_ROW, line)
        if not match:
            continue
        kind: Kind = _DISKUSAGE_KINDS[match["kind"]]
        quotas.append(Quota(
            source="diskusage_report", filesystem=match["path"], kind=kind,
            owner=None if kind == "user" else match["owner"],
            bytes=Limit(used=_amount(match["used"], base=1024) or 0,
                        hard=_amount(match["limit"], base=1024) or None),
            files=Limit(used=_amount(match["fused"], base=1000) or 0,
                        hard=_amount(match["flimit"], base=1000) or None),
        ))
    return quotas


# --- BeeGFS beegfs-ctl --getquota ------------------------------------------------------------

_POOL = r"Quota information for storage pool (?P<pool>.+?) \(ID: (?P<id>\d+)\)"


def parse_beegfs(text: str) -> list[Quota]:
    """`beegfs-ctl --getquota --uid USER|--gid GROUP`: "name|id||used|hard||used|hard" rows,
    one table per storage pool; "unlimited" is no limit; chunk files stand for files."""
    import re

    quotas = []
    pool = "default"
    for line in text.splitlines():
        if match := re.search(_POOL, line):
            pool = match["pool"]
            continue
        cells = [cell.strip() for cell in re.split(r"\|\|?", line)]
        if len(cells) != 6 or not cells[1].isdigit():
            continue
        name, _, used, hard, files, files_hard = cells
        quotas.append(Quota(
            source="beegfs-ctl", filesystem=pool, owner=name,
            bytes=Limit(used=_amount(used, base=1024) or 0, hard=_amount(hard, base=1024)),
            files=Limit(used=_amount(files, base=1000) or 0,
                        hard=_amount(files_hard, base=1000)),
        ))
    return quotas


# --- where the root is a group, project or fileset directory -------------------------------


def lustre_project(text: str) -> str | None:
    """`lfs project -d DIR` ("110255 P /projects/csc000"): the project id, None for 0."""
    words = text.split()
    return words[0] if words and words[0].isdigit() and words[0] != "0" else None


def gpfs_fileset(text: str) -> str | None:
    """`mmlsattr -L PATH`: the "fileset name:" line; None for the root fileset."""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "fileset name":
            name = value.strip()
            return name if name and name != "root" else None
    return None


def group_directory(path: str) -> str | None:
    """The group name when `path` is a group's directory (its group is not the user's
    primary group, or it is setgid, so what is written in it is charged to that group)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_gid == os.getgid() and not st.st_mode & 0o2000:
        return None
    try:
        return grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        return str(st.st_gid)


# --- the tool a centre documents: the `quota_source` setting ----------------------------------

Command = Callable[[str, str, str], list[str]]
"""(user, mount point, path) -> the tool's argv."""

SOURCES: dict[str, tuple[Command, Parser]] = {
    "lfs": (lambda user, point, path: ["lfs", "quota", "-u", user, point], parse_lfs),
    "mmlsquota": (lambda user, point, path: ["mmlsquota", "-u", user], parse_mmlsquota),
    "quota": (lambda user, point, path: ["quota", "-s", "-u", user], parse_quota),
    "beegfs-ctl": (lambda user, point, path: ["beegfs-ctl", "--getquota", "--uid", user,
                                              f"--mount={point}"], parse_beegfs),
    "showquota": (lambda user, point, path: ["showquota", "--json"], parse_showquota),
    "diskusage_report": (lambda user, point, path: ["diskusage_report"],
                         parse_diskusage_report),
}
"""The tools a `quota_source` names (config/centres.py QuotaSource lists the same)."""


def from_source(source: str, path: str, user: str, *, timeout: float) -> Quota | None:
    """The user's quota for `path` as the named tool reports it; None when the tool is not
    on PATH, does not answer in time, or names no file system holding `path`."""
    from scratchenv import proc
    from scratchenv.disk import quota as quota_module

    command, parse = SOURCES[source]
    if not proc.which(source):
        return None
    device, point, _ = mount_of(path)
    text = quota_module.run_tool(command(user, point, path), timeout=timeout)
    rows = [q for q in _safe(parse, text or "") if q.kind == "user"]
    if source == "diskusage_report":  # one row per tree: /home, /scratch, /project
        return next((q for q in rows if _same_tree(q.filesystem, path, point)), None)
    if source == "showquota":
        return next((q for q in rows if q.filesystem.strip("/") in
                     (os.path.basename(point), point.strip("/"))), None)
    match = pick(rows, source=device, point=point)
    if match is None and len(rows) == 1 and source in ("lfs", "beegfs-ctl"):
        match = rows[0]  # asked about `point` alone: its one row is about it ("./", an alias)
    return match


def own_quota(path: str, user: str, *, timeout: float, source: str | None = None) -> Quota | None:
    """The user's quota on the file system holding `path`: from `source` (the centre's
    documented tool) when it answers, else from the tool the file system's type calls for
    (quota.user_quota)."""
    import time

    from scratchenv.disk import quota as quota_module

    deadline = time.monotonic() + timeout
    found = from_source(source, path, user, timeout=timeout) if source else None
    left = deadline - time.monotonic()
    return found or (quota_module.user_quota(path, user, timeout=left) if left > 0 else None)


# --- asking every tool that applies, under one deadline --------------------------------------


def quotas_for(path: str, user: str, *, timeout: float,
               source: str | None = None) -> list[Quota]:
    """Every quota that limits writing under `path`: the user's own (from `source` first,
    the centre's documented tool), and the group's, project's or fileset's when `path` is
    such a directory. Tools not on PATH are not asked; the calls together take at most
    `timeout` seconds."""
    from scratchenv import proc
    from scratchenv.disk import quota as quota_module

    deadline = time.monotonic() + timeout
    device, point, fstype = mount_of(path)
    found: list[Quota] = []

    def ask(argv: list[str]) -> str | None:
        left = deadline - time.monotonic()
        if left <= 0 or not proc.which(argv[0]):
            return None
        return quota_module.run_tool(argv, timeout=left)

    own = own_quota(path, user, timeout=timeout, source=source)
    if own is not None:
        found.append(own)
    group = group_directory(path)
    if fstype == "lustre":
        if group and (text := ask(["lfs", "quota", "-g", group, point])):
            found += _parsed(parse_lfs, text, device, point, kind="group")
        project = lustre_project(ask(["lfs", "project", "-d", path]) or "")
        if project and (text := ask(["lfs", "quota", "-p", project, point])):
            found += _parsed(parse_lfs, text, device, point, kind="project")
    if fstype == "gpfs":
        fileset = gpfs_fileset(ask(["mmlsattr", "-L", path]) or "")
        gpfs_device = device.split(":")[-1] or os.path.basename(point)
        if fileset and (text := ask(["mmlsquota", "-j", fileset, gpfs_device])):
            found += [q for q in _safe(parse_mmlsquota, text) if q.kind == "fileset"]
    if fstype == "beegfs":
        for flag, who in (("--uid", user), ("--gid", group)):
            if who and (text := ask(["beegfs-ctl", "--getquota", flag, who, f"--mount={point}"])):
                update = {"kind": "user", "owner": None} if flag == "--uid" else {
                    "kind": "group", "owner": who}
                found += [replace(q, **update) for q in _safe(parse_beegfs, text)]
    if text := ask(["showquota", "--json"]):
        found += [q for q in _safe(parse_showquota, text)
                  if q.filesystem.strip("/") and q.filesystem.strip("/") in
                  (os.path.basename(point), point.strip("/"))]
    if text := ask(["diskusage_report"]):
        found += [q for q in _safe(parse_diskusage_report, text)
                  if _same_tree(q.filesystem, path, point)
                  and (q.kind == "user" or q.owner == group)]
    # The documented source may have answered for the user already: each quota once.
    return [q for n, q in enumerate(found) if q not in found[:n]]


def _parsed(parse: Parser, text: str, source: str, point: str, *, kind: str) -> list[Quota]:
    match = pick([q for q in _safe(parse, text) if q.kind == kind], source=source, point=point)
    if match is None:  # "./" or a path of the tool's own: the one row there is
        rows = [q for q in _safe(parse, text) if q.kind == kind]
        match = rows[0] if len(rows) == 1 else None
    return [match] if match is not None else []


def _safe(parse: Parser, text: str) -> list[Quota]:
    try:
        return list(parse(text))
    except ValueError:  # output in a shape never seen: no answer, not a crash
        return []


def _same_tree(described: str, path: str, point: str) -> bool:
    """diskusage_report names "/scratch", "/project": the tree holding `path`."""
    real = os.path.realpath(path)
    return described in (point, "/" + point.strip("/").split("/")[0]) or (
        real == described or real.startswith(described.rstrip("/") + "/"))
