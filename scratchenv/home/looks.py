"""Looks at home over time: what each place in home holds, what grew since the last look and
who wrote it, and the one line an interactive login prints before the quota bites.

A look splits home into places (each catalogue entry's default, each offender, each other
directory; `~/.cache`, `~/.local/...` and `~/.config` one level down) and records their
totals, never file lists, in the state directory: at most MAX_LOOKS looks of at most
MAX_PLACES places, written atomically, 0600, and read back only when nobody else could have
written them. The login never runs this: it reads LOGIN_FILE (the next look's due time and
the line to print) with shell builtins, and starts `scratchenv status --home --background`
detached when the look is due.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from scratchenv.config.records import Thresholds
from scratchenv.config.trust import Untrusted, others_can_write, read_regular
from scratchenv.disk.quota import Limit, Quota, user_quota
from scratchenv.disk.usage import scan
from scratchenv.fsutil import atomic_write, makedirs_private
from scratchenv.home.moves import home_moves, offenders
from scratchenv.locations import below, current_user, state_dir
from scratchenv.output import escape
from scratchenv.plain import asdict, record
from scratchenv.plan import Plan
from scratchenv.units import format_size

SCHEMA_VERSION = 1
RECORD = "home-looks.json"
LOGIN_FILE = "home-watch"
"""Line 1: when the next look is due (seconds since the epoch); line 2: the login's line."""
LOCK = "home-look.lock"
MAX_LOOKS = 30
MAX_PLACES = 200
CONTAINERS = (".cache", ".config", ".local", ".local/share", ".local/lib", ".local/state")
"""Directories many tools share: their children are places of their own."""
OTHER = "(other places)"
"""Where the places beyond MAX_PLACES are summed up in a recorded look."""

Kind = Literal["tool", "offender", "unknown", "files"]


@record
class Place:
    """A part of home, who writes it, and what stops it."""

    path: str
    kind: Kind
    writer: str
    """The catalogue variable, the offender's name, or "" when nothing knows it."""
    advice: str


@dataclass
class Look:
    """One look at home: when, how full, and each place's allocated bytes."""

    taken: float
    used: int
    """Home's usage: the quota tool's figure when there is one, else the walk's total."""
    limit: int | None
    """The nearest limit of home's quota (the soft one, else the hard one); None without."""
    source: str
    """Where `used` and `limit` come from: a quota tool, or "scan"."""
    places: dict[str, int] = field(default_factory=dict)
    over_soft: bool = False
    grace: str | None = None

    def near(self, share: float) -> bool:
        """Within `share` of the quota's nearest limit, or over the soft one (Limit.near)."""
        return self.over_soft or Limit(used=self.used, hard=self.limit).near(share)


@record
class Change:
    """A place that grew or shrank between two looks."""

    place: Place
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before


# --- the places ------------------------------------------------------------------------------


def places(plan: Plan) -> list[Place]:
    """Home split into places, each file in exactly one (sorted by path)."""
    home = os.path.normpath(plan.home)
    known: dict[str, Place] = {}
    for move in home_moves(plan):
        known.setdefault(move.source, Place(
            move.source, "tool", move.var,
            f"{move.var}: `scratchenv migrate {move.tool}` moves it to {move.dest}"))
    for offender in offenders(plan):
        known.setdefault(offender.path, Place(offender.path, "offender", offender.key,
                                              offender.advice))
    containers = {os.path.join(home, name) for name in CONTAINERS}
    found: list[Place] = []

    def split(directory: str, owner: Place | None) -> None:
        found.append(Place(directory, "files", owner.writer if owner else "",
                           owner.advice if owner else _UNKNOWN))
        try:
            children = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError:
            return
        for child in children:
            if not child.is_dir(follow_symlinks=False):
                continue
            place = known.get(child.path)
            inherited = place or owner
            if child.path in containers or any(below(path, child.path) for path in known):
                split(child.path, inherited)
            elif place is not None:
                found.append(place)
            elif inherited is not None:
                found.append(Place(child.path, inherited.kind, inherited.writer,
                                   inherited.advice))
            else:
                found.append(Place(child.path, "unknown", "", _UNKNOWN))

    if os.path.isdir(home):
        split(home, None)
    return sorted(found, key=lambda place: place.path)


_UNKNOWN = "unknown writer: `scratchenv doctor` for what to do"


def _measure(place: Place) -> int:
    """Allocated bytes of `place`; a "files" place is only the files directly in it."""
    if place.kind != "files":
        return scan(place.path).bytes
    total = 0
    try:
        entries = list(os.scandir(place.path))
    except OSError:
        return 0
    for entry in entries:
        try:
            if not entry.is_dir(follow_symlinks=False):
                total += entry.stat(follow_symlinks=False).st_blocks * 512
        except OSError:
            continue
    return total


def take(plan: Plan, *, now: float | None = None) -> tuple[Look, list[Place]]:
    """Look at home now: every place measured, and the quota of home's file system."""
    found = places(plan)
    sizes = {place.path: _measure(place) for place in found}
    quota = user_quota(plan.home, current_user())
    look = Look(taken=time.time() if now is None else now, used=sum(sizes.values()),
                limit=None, source="scan", places=sizes)
    if quota is not None:
        _apply_quota(look, quota)
    return look, found


def _apply_quota(look: Look, quota: Quota) -> None:
    space = quota.bytes
    look.used, look.source = space.used, quota.source
    look.limit = space.nearest
    look.over_soft, look.grace = space.over_soft, space.grace


# --- growth ----------------------------------------------------------------------------------


def changes(previous: Look | None, current: Look, found: Sequence[Place], *,
            smallest: int = 1024**2) -> list[Change]:
    """What grew or shrank by at least `smallest` since `previous`, biggest change first."""
    if previous is None:
        return []
    by_path = {place.path: place for place in found}
    result = []
    for path in sorted(set(previous.places) | set(current.places)):
        before, after = previous.places.get(path, 0), current.places.get(path, 0)
        if abs(after - before) < smallest or path == OTHER:
            continue
        place = by_path.get(path) or Place(path, "unknown", "", "gone since")
        result.append(Change(place, before, after))
    return sorted(result, key=lambda change: (-abs(change.delta), change.place.path))


def signed(n: int) -> str:
    return ("+" if n >= 0 else "-") + format_size(abs(n))


def since(then: float, now: float, *, short: bool = False) -> str:
    """When `then` was, as a person says it: "14:03", "yesterday 14:03", "Tue 14:03",
    "2026-11-30"; `short` drops the time of day for all but today."""
    was, today = time.localtime(then), time.localtime(now)
    clock = time.strftime("%H:%M", was)
    days = (time.mktime(today[:3] + (0, 0, 0, 0, 0, -1))
            - time.mktime(was[:3] + (0, 0, 0, 0, 0, -1))) / 86400
    if round(days) <= 0:
        return clock
    if round(days) == 1:
        return "yesterday" if short else f"yesterday {clock}"
    if days < 7:
        return time.strftime("%a" if short else "%a %H:%M", was)
    return time.strftime("%b %d" if short else "%Y-%m-%d %H:%M", was)


def warning(previous: Look | None, current: Look, limits: Thresholds) -> str | None:
    """The login's one line, or None when home is fine: above thresholds.home_warn, near
    its quota (thresholds.quota_near of the nearest limit, or over the soft one), or grown
    more than thresholds.home_growth since the previous look (`limits`: the Plan's)."""
    grew = current.used - previous.used if previous is not None else 0
    near = current.near(limits.quota_near)
    if not (near or current.used > limits.home_warn or grew > limits.home_growth):
        return None
    limit = current.limit if current.limit is not None else limits.home_warn
    notes = []
    if previous is not None and abs(grew) >= 1024**2:
        notes.append(f"{signed(grew)} since {since(previous.taken, current.taken, short=True)}")
    if current.over_soft:
        notes.append("over the soft quota" + (f", grace {current.grace}" if current.grace else ""))
    extra = f" ({'; '.join(notes)})" if notes else ""
    return (f"home {format_size(current.used)} of {format_size(limit)}{extra}; "
            "scratchenv status --home")


# --- the record ------------------------------------------------------------------------------


def record_path(environ: Mapping[str, str]) -> str:
    return os.path.join(state_dir(environ), RECORD)


def load(environ: Mapping[str, str]) -> tuple[list[Look], str | None]:
    """The recorded looks, oldest first, and why none were read (None when fine)."""
    path = record_path(environ)
    try:
        found = read_regular(path, nofollow=True)
    except Untrusted as reason:
        return [], f"{path} ignored: {reason}"
    if found is None:
        return [], None
    data, st = found
    if others_can_write(st) or st.st_uid != os.getuid():
        return [], f"{path} ignored: someone else could have written it"
    try:
        document = json.loads(data)
        looks = [Look(**look) for look in document["looks"]]
    except (ValueError, KeyError, TypeError):
        return [], f"{path} ignored: not a record of looks"
    return looks, None


def save(environ: Mapping[str, str], looks: Sequence[Look]) -> None:
    """Keep the newest MAX_LOOKS looks, each with its MAX_PLACES largest places."""
    kept = [_bounded(look) for look in looks[-MAX_LOOKS:]]
    document = {"schema_version": SCHEMA_VERSION, "looks": [asdict(look) for look in kept]}
    makedirs_private(state_dir(environ))
    atomic_write(record_path(environ), json.dumps(document, sort_keys=True) + "\n", mode=0o600)


def _bounded(look: Look) -> Look:
    if len(look.places) <= MAX_PLACES:
        return look
    ranked = sorted(look.places.items(), key=lambda item: (-item[1], item[0]))
    places = dict(ranked[:MAX_PLACES - 1])
    places[OTHER] = sum(size for _, size in ranked[MAX_PLACES - 1:])
    return Look(**{**asdict(look), "places": places})


def write_login_file(environ: Mapping[str, str], due: float, line: str | None) -> None:
    """What the next login reads with builtins: when to look again, and what to say."""
    makedirs_private(state_dir(environ))
    # The login prints the line raw: nothing in it may drive the terminal.
    text = f"{int(due)}\n{escape(line or '')}\n"
    atomic_write(os.path.join(state_dir(environ), LOGIN_FILE), text, mode=0o600)


@dataclass
class Report:
    """`status --home`: this look, the previous one, what changed, the login's line."""

    home: str
    current: Look
    previous: Look | None
    places: list[Place]
    changes: list[Change]
    line: str | None
    notice: str | None = None
    """Why the previous looks were not read, when they were not."""


def look_now(plan: Plan, environ: Mapping[str, str]) -> Report:
    """Take a look, compare it with the last one, record it, and refresh the login's line."""
    looks, notice = load(environ)
    current, found = take(plan)
    previous = looks[-1] if looks else None
    line = warning(previous, current, plan.thresholds)
    save(environ, [*looks, current])
    write_login_file(environ, current.taken + plan.login.look_every_hours * 3600, line)
    return Report(os.path.normpath(plan.home), current, previous, found,
                  changes(previous, current, found), line, notice)


def background(plan: Plan, environ: Mapping[str, str]) -> None:
    """The login's refresh (the command runs it at the lowest priority): never two at
    once, and not again for `login.look_every_hours` (the due time moves on before the
    walk starts)."""
    with _lock(environ) as held:
        if not held:
            return
        looks, _ = load(environ)
        last_line = warning(looks[-2] if len(looks) > 1 else None, looks[-1],
                            plan.thresholds) if looks else None
        write_login_file(environ, time.time() + plan.login.look_every_hours * 3600,
                         last_line)
        look_now(plan, environ)


class _lock:
    """An exclusive, non-blocking lock in the state directory: True when this run holds it."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.path = os.path.join(state_dir(environ), LOCK)
        self.fd = -1

    def __enter__(self) -> bool:
        makedirs_private(os.path.dirname(self.path))
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                          0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)


def top_level(report: Report) -> Iterator[tuple[str, int, int | None]]:
    """(place directly in home, bytes now, change since the previous look or None), largest
    first: the picture's rows. Places below a top-level directory are summed into it."""
    sums: dict[str, tuple[int, int]] = {}
    root = report.home
    previous = report.previous.places if report.previous else {}
    for path, size in report.current.places.items():
        key = _top(path, root)
        now, before = sums.get(key, (0, 0))
        sums[key] = (now + size, before + previous.get(path, 0))
    for path in previous:
        if path not in report.current.places:
            key = _top(path, root)
            now, before = sums.get(key, (0, 0))
            sums[key] = (now, before + previous[path])
    for key, (now, before) in sorted(sums.items(), key=lambda item: (-item[1][0], item[0])):
        yield key, now, (now - before) if report.previous else None


def _top(path: str, home: str) -> str:
    if path == home or not home or not below(path, home):
        return path
    return os.path.join(home, os.path.relpath(path, home).split(os.sep)[0])

