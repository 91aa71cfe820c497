from __future__ import annotations

import argparse
import os

from scratchenv.commands import plan_from

TYPE_CHECKING = False  # not `typing`: status does without it
if TYPE_CHECKING:
    from scratchenv.checks.status import Overview
    from scratchenv.disk.quota import Quota
    from scratchenv.home.looks import Report
    from scratchenv.plan import Plan

HELP = ("sizes of the managed locations (largest first), home usage, scratch free space "
        "and quotas")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="the data as JSON (schema_version 1)")
    parser.add_argument("--all", action="store_true",
                        help="also list the empty locations (folded into one line otherwise)")
    parser.add_argument("--top", metavar="N", type=int, nargs="?", const=10,
                        help="also the N (default 10) largest entries directly under the root, "
                        "like du -s ROOT/*")
    parser.add_argument("--home", action="store_true",
                        help="home only: each place's size against the quota, what grew since "
                        "the last look and who writes it (the look is recorded)")
    parser.add_argument("--background", action="store_true",
                        help="what a login starts when the last look is old: record a look "
                        "quietly, at low priority, one at a time")


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.checks.status import collect, top_entries

    if args.top is not None and args.top < 1:
        from scratchenv.errors import ConfigError

        raise ConfigError(f"--top {args.top}: give a number of entries, 1 or more")
    plan = plan_from(args)
    if args.home or args.background:
        return _home(plan, args)
    status = collect(plan, os.environ)
    if args.top is not None:
        status.top = top_entries(plan.root, args.top)
    if args.json:
        output.write(status.to_json() + "\n")
        return 0
    output.show(render(status, everything=args.all))
    return 0


def render(status: Overview, *, everything: bool = False) -> str:
    """The status as lines: the locations largest first with a bar each (empty ones folded
    into one line unless `everything`), the root's top entries, then totals and quotas."""
    from scratchenv.output import bar
    from scratchenv.units import counted, format_size

    lines = []
    biggest = max((loc.bytes for loc in status.locations), default=0) or 1
    ordered = sorted(status.locations, key=lambda loc: (-loc.bytes, loc.name))
    empty = [loc for loc in ordered if not loc.exists or loc.files == 0]
    shown = ordered if everything else [loc for loc in ordered if loc not in empty]
    rows = [("VARIABLE", "SIZE", "FILES", "", "PATH")]
    for loc in shown:
        size = format_size(loc.bytes) if loc.exists else "-"
        files = str(loc.files) if loc.exists else "-"
        where = loc.path if loc.exists else f"{loc.path} (not created yet)"
        rows.append((loc.name, size, files, bar(loc.bytes / biggest), where))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].rjust(widths[1]), row[2].rjust(widths[2]),
                 row[3].ljust(widths[3]), row[4]]
        lines.append("  ".join(cells).rstrip())
    if empty and not everything:
        lines.append(f"+ {len(empty)} empty or not created yet: "
                     f"{', '.join(loc.name for loc in empty)} (status --all lists them)")
    if status.top is not None:
        lines += ["", f"largest under {status.scratch.path} (like du -s):"]
        width = max((len(format_size(entry.bytes)) for entry in status.top), default=0)
        lines += [f"  {format_size(entry.bytes).rjust(width)}  {entry.files:>9} files  "
                  f"{entry.path}" for entry in status.top]
    lines.append("")
    free = format_size(status.scratch_free) if status.scratch_free is not None else "unknown"
    lines.append(f"scratch {status.scratch.path}: {format_size(status.scratch.bytes)} in "
                 f"{counted(status.scratch.files, 'file')}, {free} free")
    if status.persistent is not None:
        kept = status.persistent
        free = (format_size(status.persistent_free) if status.persistent_free is not None
                else "unknown")
        lines.append(f"persistent {kept.path}: {format_size(kept.bytes)} in "
                     f"{counted(kept.files, 'file')}, {free} free")
    lines.append(f"home    {status.home.path}: {format_size(status.home.bytes)} in "
                 f"{counted(status.home.files, 'file')} ({status.home.source})")
    for quota in status.quotas:
        lines.append(quota_line(quota))
    for warning in status.warnings:
        lines.append(f"! {warning}")
    return "\n".join(lines) + "\n"


def quota_line(quota: Quota) -> str:
    from scratchenv.units import format_size

    space, files = quota.bytes, quota.files
    if quota.source == "statvfs":
        return (f"file system {quota.filesystem} (df): {format_size(space.used)} of "
                f"{format_size(space.hard or 0)} used, {files.used} of {files.hard or '?'} inodes")

    def part(used: str, soft: str | None, hard: str | None, grace: str | None) -> str:
        text = used + (f" / soft {soft}" if soft else "") + (f" / hard {hard}" if hard else "")
        return text + (f" (grace {grace})" if grace else "")

    def size(n: int | None) -> str | None:
        return format_size(n) if n else None

    def count(n: int | None) -> str | None:
        return str(n) if n else None

    space_text = part(format_size(space.used), size(space.soft), size(space.hard), space.grace)
    files_text = part(str(files.used), count(files.soft), count(files.hard), files.grace)
    return f"quota {quota.filesystem} ({quota.source}): {space_text}; files {files_text}"


def _home(plan: Plan, args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.home import looks

    if args.background:
        os.nice(19)  # started by a login: the person at the prompt comes first
        looks.background(plan, os.environ)
        return 0
    report = looks.look_now(plan, os.environ)
    if report.notice:
        output.warn(report.notice)
    if args.json:
        output.write(home_json(report, plan.thresholds.home_warn) + "\n")
    else:
        output.show(render_home(report, plan.thresholds.home_warn))
    return 0


def home_json(report: Report, home_warn: int) -> str:
    """`status --home --json` (schema_version 1): the rows of the picture, every change
    with its writer and advice, and the login's line."""
    import json

    from scratchenv.home import looks

    look = report.current
    document = {
        "schema_version": looks.SCHEMA_VERSION,
        "taken": look.taken, "used": look.used, "limit": look.limit, "source": look.source,
        "scale": look.limit or home_warn, "over_soft": look.over_soft, "grace": look.grace,
        "previous": report.previous.taken if report.previous else None,
        "places": [{"path": path, "bytes": size, "change": change}
                   for path, size, change in looks.top_level(report)],
        "changes": [{"path": c.place.path, "before": c.before, "after": c.after,
                     "change": c.delta, "kind": c.place.kind, "writer": c.place.writer,
                     "advice": c.place.advice} for c in report.changes],
        "warning": report.line,
    }
    return json.dumps(document, indent=2)


def render_home(report: Report, home_warn: int, *, rows: int = 12) -> str:
    """Home as a picture: a bar per top-level place scaled to the quota (else
    thresholds.home_warn), growth marks, then what changed with who writes it."""
    from scratchenv.home import looks
    from scratchenv.home.moves import tilde
    from scratchenv.output import bar
    from scratchenv.units import format_size
    home = report.home

    look = report.current
    scale = look.limit or home_warn
    against = (f"of {format_size(look.limit)} ({look.source})" if look.limit
               else f"(no quota found; bars against thresholds.home_warn {format_size(scale)})")
    lines = [f"home {home}: {format_size(look.used)} {against}"]
    if report.previous is not None:
        lines.append(f"last look: {looks.since(report.previous.taken, look.taken)} "
                     f"({looks.signed(look.used - report.previous.used)} since)")
    else:
        lines.append("first look: the next one shows what grew")
    shown = list(looks.top_level(report))
    names = ["~/ (files directly in home)" if path == home else tilde(path, home)
             for path, _, _ in shown]
    width = max((len(name) for name in names[:rows]), default=0)
    for name, (_, size, change) in zip(names[:rows], shown[:rows], strict=False):
        mark = ("▲ " if change > 0 else "▼ ") + looks.signed(change) if change else ""
        lines.append(f"  {name.ljust(width)}  {format_size(size).rjust(6)}  "
                     f"{bar(size / scale)}  {mark}".rstrip())
    if len(shown) > rows:
        rest = sum(size for _, size, _ in shown[rows:])
        lines.append(f"  + {len(shown) - rows} more places, {format_size(rest)}")
    if report.changes:
        lines += ["", *changes_lines(report, rows=rows)]
    if report.line:
        lines += ["", f"! {report.line}"]
    return "\n".join(lines) + "\n"


def changes_lines(report: Report, *, rows: int = 12) -> list[str]:
    """What grew or shrank since the previous look, each with who writes it and the fix
    (`status --home` and `doctor`)."""
    from scratchenv.home import looks
    from scratchenv.home.moves import tilde

    home = report.home
    if not report.changes or report.previous is None:
        return []
    listed = report.changes[:rows]
    width = max(len(tilde(c.place.path, home)) for c in listed)
    when = looks.since(report.previous.taken, report.current.taken)
    lines = [f"changed since the last look ({when}):"]
    for changed in listed:
        lines.append(f"  {tilde(changed.place.path, home).ljust(width)}  "
                     f"{looks.signed(changed.delta).rjust(7)}  {changed.place.advice}")
    return lines
