"""The only module that prints: lines, warnings, tables, bars."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def write(text: str) -> None:
    """Raw text to stdout (a rendered file), exactly as given."""
    sys.stdout.write(text)


def warn(text: str) -> None:
    sys.stderr.write(f"scratchenv: warning: {text}\n")


def error(text: str) -> None:
    sys.stderr.write(f"scratchenv: error: {text}\n")


def table(rows: Sequence[Sequence[str]], headers: Sequence[str] | None = None) -> None:
    """Left-aligned columns; the last column is never padded."""
    all_rows = [list(headers)] if headers else []
    all_rows += [list(row) for row in rows]
    if not all_rows:
        return
    widths = [max(len(row[i]) for row in all_rows) for i in range(len(all_rows[0]) - 1)]
    for row in all_rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        say("  ".join([*cells, row[-1]]).rstrip())


def bar(fraction: float, width: int = 20) -> str:
    """A bar of `width` cells, filled by `fraction` (0..1), in eighths for resolution."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part] if part else ""
    return ("█" * full + partial).ljust(width)


def write_err(text: str) -> None:
    """Raw text to stderr, exactly as given (another program's messages)."""
    sys.stderr.write(text)
