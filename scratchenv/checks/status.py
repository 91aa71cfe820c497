"""`scratchenv status`: the size of every managed location, home usage, scratch free space
and quotas, with warnings. Collects data only; the command renders it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from threading import Thread

from scratchenv.checks.purge import at_risk
from scratchenv.config.records import Thresholds
from scratchenv.disk.quota import TIMEOUT, Quota, filesystem_usage, free_space
from scratchenv.disk.quota_sources import own_quota
from scratchenv.disk.usage import Usage, scan
from scratchenv.locations import current_user
from scratchenv.plain import asdict
from scratchenv.plan import Plan
from scratchenv.realpaths import is_within, one_look
from scratchenv.units import format_size

SCHEMA_VERSION = 1

# Plain dataclasses, not pydantic models: a person waits for status, and importing pydantic
# for three records cost more than measuring a small root (issue 27).


@dataclass(kw_only=True)
class Location:
    """One managed variable's place on disk."""

    name: str
    path: str
    exists: bool
    bytes: int
    files: int


@dataclass(kw_only=True)
class Space:
    path: str
    bytes: int
    files: int
    source: str
    """"scan" (walked), or the quota tool that reported it."""


@dataclass(kw_only=True)
class Overview:
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
    warnings: list[str] = field(default_factory=list)
    top: list[Space] | None = None
    """With `status --top`: the root's direct entries, largest first (like `du -s root/*`)."""

    def to_json(self) -> str:
        """The document, two-space indented (what pydantic printed before: the same bytes)."""
        from scratchenv.output import json_text

        return json_text(asdict(self))


def collect(plan: Plan, environ: Mapping[str, str]) -> Overview:
    """Measure everything the Plan manages.

    The scans run one after another here (on a local disk each is CPU-bound, and a big
    one is shared with helper processes; on a network one each overlaps its own stats),
    while a thread asks the quota tools, which wait on servers."""
    places: dict[str, str] = {}
    for change in plan.variables:
        value = plan.value_in(change, environ) or change.location_in(environ.get(change.name, ""))
        if value and os.path.isabs(value):
            places[change.name] = value
    # One look, which the quota thread shares: it ends once the thread has answered.
    with one_look():
        quotas = _Quotas(plan)
        quotas.start()
        locations = []
        for name, path in places.items():
            usage = scan(path)
            locations.append(Location(name=name, path=path, exists=os.path.exists(path),
                                      bytes=usage.bytes, files=usage.files))
        spaces = {}
        for root in plan.roots:
            # Each root's own walk skips the locations, which are measured already.
            inner = _outermost([path for path in places.values()
                                if os.path.isdir(path) and is_within(path, root)])
            spaces[root] = _root_space(root, scan(root, exclude=inner), inner, locations)
        home_quota, root_quotas = quotas.result()
    home = _home_usage(plan.home, home_quota)
    persistent = plan.persistent_root
    status = Overview(root=plan.root, locations=locations, home=home,
                      scratch=spaces[plan.root], scratch_free=_free(plan.root),
                      persistent_root=persistent,
                      persistent=spaces[persistent] if persistent else None,
                      persistent_free=_free(persistent) if persistent else None,
                      quotas=_distinct([home_quota or filesystem_usage(plan.home)]
                                       + [quota or filesystem_usage(root)
                                          for root, quota in root_quotas.items()]))
    status.warnings = warnings(status, plan.thresholds)
    # Scratch purges files unused for purge.days: a partly purged venv breaks silently.
    status.warnings += [f"{risk.path}: {risk.describe()}" for risk in at_risk(plan)]
    return status


class _Quotas(Thread):
    """The user's quota on home and on each root (None where no tool answers), asked in
    the background: the centre's documented tool first (plan.quota_source)."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(daemon=True)
        self._plan = plan
        self._found: tuple[Quota | None, dict[str, Quota | None]] | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        plan, user = self._plan, current_user()

        def ask(path: str) -> Quota | None:
            return own_quota(path, user, timeout=TIMEOUT, source=plan.quota_source)

        try:
            self._found = ask(plan.home), {root: ask(root) for root in plan.roots}
        except BaseException as error:  # raised again where the answer is wanted
            self._error = error

    def result(self) -> tuple[Quota | None, dict[str, Quota | None]]:
        self.join()
        if self._error is not None:
            raise self._error
        assert self._found is not None
        return self._found


def top_entries(root: str, limit: int) -> list[Space]:
    """The `limit` largest entries directly under `root`, largest first (`du -s root/*`).

    One scan after another: each may share a big tree with helper processes."""
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


def _home_usage(home: str, quota: Quota | None) -> Space:
    if quota is not None:
        return Space(path=home, bytes=quota.bytes.used, files=quota.files.used,
                     source=quota.source)
    usage = scan(home)
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
