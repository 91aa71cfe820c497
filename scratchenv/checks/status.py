"""`scratchenv status`: the size of every managed location, home usage, scratch free space
and quotas, with warnings. Collects data only; the command renders it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from pydantic import BaseModel

from scratchenv.checks.purge import at_risk
from scratchenv.config.records import Thresholds
from scratchenv.config.settings import current_user
from scratchenv.disk.quota import TIMEOUT, Quota, filesystem_usage, free_space
from scratchenv.disk.quota_sources import own_quota
from scratchenv.disk.usage import Usage, scan
from scratchenv.plan import Plan
from scratchenv.realpaths import is_within
from scratchenv.units import format_size

SCHEMA_VERSION = 1


class Location(BaseModel):
    """One managed variable's place on disk."""

    name: str
    path: str
    exists: bool
    bytes: int
    files: int


class Space(BaseModel):
    path: str
    bytes: int
    files: int
    source: str
    """"scan" (walked), or the quota tool that reported it."""


class Overview(BaseModel):
    """The `status --json` document."""

    schema_version: int = SCHEMA_VERSION
    root: str
    locations: list[Location]
    home: Space
    scratch: Space
    scratch_free: int | None
    persistent_root: str | None = None
    """The second, non-purged root (null without one); its usage and free space follow."""
    persistent: Space | None = None
    persistent_free: int | None = None
    quotas: list[Quota]
    """The user's quota on the file systems of home and of each root, else their statvfs
    totals."""
    warnings: list[str]
    top: list[Space] | None = None
    """With `status --top`: the root's direct entries, largest first (like `du -s root/*`)."""


def collect(plan: Plan, environ: Mapping[str, str]) -> Overview:
    """Measure everything the Plan manages; the scans run in parallel (they wait on disk)."""
    places: dict[str, str] = {}
    for change in plan.variables:
        value = plan.value_in(change, environ) or change.location_in(environ.get(change.name, ""))
        if value and os.path.isabs(value):
            places[change.name] = value
    user = current_user()
    source = plan.quota_source  # the centre's documented tool, asked first
    home_quota = own_quota(plan.home, user, timeout=TIMEOUT, source=source)
    root_quotas = {root: own_quota(root, user, timeout=TIMEOUT, source=source)
                   for root in plan.roots}
    with ThreadPoolExecutor(max_workers=4) as pool:
        scans = {name: pool.submit(scan, path) for name, path in places.items()}
        # Each root's own walk skips the locations, which are measured already.
        inner = {root: _outermost([path for path in places.values()
                                   if is_within(path, root) and os.path.isdir(path)])
                 for root in plan.roots}
        rests = {root: pool.submit(scan, root, exclude=inner[root]) for root in plan.roots}
        locations = [
            Location(name=name, path=path, exists=os.path.exists(path),
                     bytes=scans[name].result().bytes, files=scans[name].result().files)
            for name, path in places.items()
        ]
        spaces = {root: _root_space(root, rests[root].result(), inner[root], locations)
                  for root in plan.roots}
        home = _home_usage(plan.home, home_quota, pool)
        quotas = _distinct([home_quota or filesystem_usage(plan.home)]
                           + [quota or filesystem_usage(root)
                              for root, quota in root_quotas.items()])
    persistent = plan.persistent_root
    status = Overview(root=plan.root, locations=locations, home=home,
                      scratch=spaces[plan.root], scratch_free=_free(plan.root),
                      persistent_root=persistent,
                      persistent=spaces[persistent] if persistent else None,
                      persistent_free=_free(persistent) if persistent else None,
                      quotas=quotas, warnings=[])
    status.warnings = warnings(status, plan.thresholds)
    # Scratch purges files unused for purge.days: a partly purged venv breaks silently.
    status.warnings += [f"{risk.path}: {risk.describe()}" for risk in at_risk(plan)]
    return status


def top_entries(root: str, limit: int) -> list[Space]:
    """The `limit` largest entries directly under `root`, largest first (`du -s root/*`).

    One scan after another, not in threads: each may share a big tree out to processes."""
    try:
        names = os.listdir(root)
    except OSError:
        return []
    entries = []
    for name in names:
        usage = scan(os.path.join(root, name))
        entries.append(Space(path=usage.path, bytes=usage.bytes, files=usage.files,
                             source="scan"))
    entries.sort(key=lambda entry: (-entry.bytes, entry.path))
    return entries[:limit]


def _root_space(root: str, rest: Usage, inner: list[str], locations: list[Location]) -> Space:
    """What is under `root`: the walk of the rest of it plus its outermost locations."""
    counted = {loc.path: loc for loc in locations if loc.path in inner}
    return Space(path=root,
                 bytes=rest.bytes + sum(loc.bytes for loc in counted.values()),
                 # +1: a location's own directory, which its scan does not count
                 files=rest.files + sum(loc.files + 1 for loc in counted.values()),
                 source="scan")


def _free(root: str) -> int | None:
    try:
        return free_space(root)
    except OSError:
        return None


def _home_usage(home: str, quota: Quota | None, pool: ThreadPoolExecutor) -> Space:
    if quota is not None:
        return Space(path=home, bytes=quota.bytes.used, files=quota.files.used,
                     source=quota.source)
    usage = pool.submit(scan, home).result()
    return Space(path=home, bytes=usage.bytes, files=usage.files, source="scan")


def _outermost(paths: list[str]) -> list[str]:
    """Drop paths that lie inside another one of `paths` (counted with their parent)."""
    return [path for path in paths
            if not any(other != path and is_within(path, other) for other in paths)]


def _distinct(quotas: list[Quota | None]) -> list[Quota]:
    result: list[Quota] = []
    for quota in quotas:
        if quota is not None and all(quota != other for other in result):
            result.append(quota)
    return result


def warnings(status: Overview, limits: Thresholds) -> list[str]:
    """What deserves attention, against the thresholds (the Plan's)."""
    found = []
    if status.home.bytes > limits.home_warn:
        found.append(f"home uses {format_size(status.home.bytes)}, more than "
                     f"{format_size(limits.home_warn)} (thresholds.home_warn)")
    if status.scratch.bytes > limits.scratch_warn:
        found.append(f"scratch uses {format_size(status.scratch.bytes)}, more than "
                     f"{format_size(limits.scratch_warn)} (thresholds.scratch_warn)")
    if status.scratch_free is not None and status.scratch_free < limits.min_free:
        found.append(f"only {format_size(status.scratch_free)} free on scratch "
                     f"(thresholds.min_free {format_size(limits.min_free)})")
    if status.persistent_free is not None and status.persistent_free < limits.min_free:
        found.append(f"only {format_size(status.persistent_free)} free on the persistent root "
                     f"(thresholds.min_free {format_size(limits.min_free)})")
    for quota in status.quotas:
        for what, limit in (("space", quota.bytes), ("files", quota.files)):
            if quota.source != "statvfs" and (limit.at_hard or limit.over_soft):
                grace = f", grace {limit.grace}" if limit.grace else ""
                found.append(f"{quota.filesystem}: over the {what} quota ({quota.source}{grace})")
    return found
