"""verify's PATH check: the Plan's PATH entries are on PATH, ahead of any copy in home."""

from __future__ import annotations

import os
from functools import partial

from scratchenv.checks.findings import Context, Finding, export_line
from scratchenv.realpaths import is_within, same_place

TYPE_CHECKING = False
if TYPE_CHECKING:
    from scratchenv.plan import PrependPath


def check_path(ctx: Context) -> list[Finding]:
    """The Plan's PATH entries (Cargo's bin) are on PATH, ahead of any copy in home."""
    parts = [part for part in ctx.environ.get("PATH", "").split(":") if part]
    findings = []
    for change in map(partial(ctx.plan.prepend_in, environ=ctx.environ), ctx.plan.path_entries):
        found = partial(Finding, check="path.entry", subject=change.entry)
        where = next((i for i, part in enumerate(parts) if same_place(part, change.entry)), None)
        if where is None:
            findings.append(found(status="fail", message=f"{change.entry} is not on PATH",
                                  fix=_fix(change)))
            continue
        shadow = next((part for part in parts[:where]
                       if is_within(part, ctx.home) and _holds_a_copy(part, change.entry)), None)
        if shadow is not None:
            findings.append(found(status="warn", fix=_fix(change),
                                  message=f"{shadow} (in home) comes before it on PATH with "
                                          "programs of the same names"))
        else:
            findings.append(found(status="pass", message=f"{change.entry} is on PATH"))
    return findings


def _fix(change: PrependPath) -> str:
    return f'{export_line(change.name, change.entry)}:"${change.name}"'


def _holds_a_copy(directory: str, of: str) -> bool:
    """Whether `directory` has a program named like one in `of` (~/.local/bin first on PATH
    is common and harmless; ~/.cargo/bin's old cargo first is not)."""
    try:
        return not set(os.listdir(directory)).isdisjoint(os.listdir(of))
    except OSError:
        return False
