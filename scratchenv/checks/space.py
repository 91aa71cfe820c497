"""verify's free-space check: room under each root, from the file system and the quota."""

from __future__ import annotations

from functools import partial

from scratchenv.checks.findings import Context, Finding
from scratchenv.locations import current_user
from scratchenv.units import format_size


def check_free_space(ctx: Context) -> list[Finding]:
    """Enough room under each root (`--need`, else thresholds.min_free): the smaller of the
    file system's free space and what the user's (or the directory's) quota leaves."""
    from scratchenv.disk.room import room

    need = ctx.need if ctx.need is not None else ctx.plan.thresholds.min_free
    findings = []
    for root in ctx.plan.roots:
        found = partial(Finding, check="root.free_space", subject=root)
        try:
            space = room(root, current_user())
        except OSError as error:
            findings.append(found(status="skip",
                                  message=f"cannot tell free space: {error.strerror}"))
            continue
        notes = [found(check="root.quota_grace", status="warn", message=note,
                       fix="scratchenv status shows what is big") for note in space.notes]
        short = space.short_of(need)
        if short is not None:
            findings.append(found(status="fail", message=f"not enough room: {short}",
                                  fix=f"free {format_size(need - space.bytes)} on {root} "
                                      "(scratchenv status shows what is big)"))
        else:
            findings.append(found(status="pass",
                                  message=f"{space.describe()} ({format_size(need)} needed)"))
        findings += notes
    return findings
