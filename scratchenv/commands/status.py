from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from scratchenv.commands import settings_from

if TYPE_CHECKING:
    from scratchenv.checks.status import Overview
    from scratchenv.disk.quota import Quota

HELP = "sizes of every managed location, home usage, scratch free space and quotas"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="the data as JSON (schema_version 1)")


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.checks.status import collect

    settings = settings_from(args)
    status = collect(settings, os.environ)
    if args.json:
        output.write(status.model_dump_json(indent=2) + "\n")
        return 0
    output.write(render(status))
    return 0


def render(status: Overview) -> str:
    """The status as lines: a table of locations with a bar each, then totals and quotas."""
    from scratchenv.output import bar
    from scratchenv.units import format_size

    lines = []
    biggest = max((loc.bytes for loc in status.locations), default=0) or 1
    rows = [("VARIABLE", "SIZE", "FILES", "", "PATH")]
    for loc in status.locations:
        size = format_size(loc.bytes) if loc.exists else "-"
        files = str(loc.files) if loc.exists else "-"
        shown = loc.path if loc.exists else f"{loc.path} (not created yet)"
        rows.append((loc.name, size, files, bar(loc.bytes / biggest), shown))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].rjust(widths[1]), row[2].rjust(widths[2]),
                 row[3].ljust(widths[3]), row[4]]
        lines.append("  ".join(cells).rstrip())
    lines.append("")
    free = format_size(status.scratch_free) if status.scratch_free is not None else "unknown"
    lines.append(f"scratch {status.scratch.path}: {format_size(status.scratch.bytes)} in "
                 f"{status.scratch.files} files, {free} free")
    if status.persistent is not None:
        kept = status.persistent
        free = (format_size(status.persistent_free) if status.persistent_free is not None
                else "unknown")
        lines.append(f"persistent {kept.path}: {format_size(kept.bytes)} in {kept.files} files, "
                     f"{free} free")
    lines.append(f"home    {status.home.path}: {format_size(status.home.bytes)} in "
                 f"{status.home.files} files ({status.home.source})")
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
