"""Home's usage and file count judged from a quota report (limits, grace, thresholds)."""

from __future__ import annotations

from scratchenv.checks.findings import Finding, Status
from scratchenv.disk.quota import Quota
from scratchenv.units import format_size

_SEVERITY = {"skip": 0, "pass": 0, "warn": 1, "fail": 2}


def quota_findings(
    quota: Quota, *, subject: str, limit: int, over: Status = "warn", near: float = 0.9
) -> list[Finding]:
    """Verify findings for home from a quota: hard limits fail, soft limits in grace warn,
    usage at `near` (thresholds.quota_near) of the nearest limit warns, and usage above
    `limit` (thresholds.home_warn) is reported as `over`."""
    fix = "move what is big to scratch: scratchenv status shows it"
    where = f"{quota.source} on {quota.filesystem}"
    space, files = quota.bytes, quota.files
    result = []
    status: Status
    used = f"{format_size(space.used)} used"
    if space.at_hard or (space.over_soft and space.grace in ("none", "expired")):
        status, message = "fail", f"{used}: at the quota ({where}); writes will fail"
    elif space.over_soft:
        status, message = "warn", (f"{used}, over the soft quota {format_size(space.soft or 0)}"
                                   f" (grace {space.grace or '?'}; {where})")
    elif space.near(near):
        status, message = "warn", (f"{used} of {format_size(space.nearest or 0)}: nearly full "
                                   f"({where})")
    else:
        quota_text = f" of {format_size(space.hard)}" if space.hard else ""
        status, message = "pass", f"{used}{quota_text} ({where})"
    # Over `limit` is at least `over`, whatever else the quota says: the checklist's "home
    # under 10 GB" fails on a 95 GB home even when the quota only warns that it is nearly full.
    if space.used > limit and _SEVERITY[over] > _SEVERITY[status]:
        status, message = over, f"{used}, more than {format_size(limit)} ({where})"
    result.append(Finding(check="home.usage", subject=subject, status=status, message=message,
                          fix=fix if status != "pass" else None))
    if files.at_hard or (files.over_soft and files.grace in ("none", "expired")):
        status, message = "fail", f"{files.used} files: at the file quota ({where})"
    elif files.over_soft:
        status, message = "warn", f"{files.used} files, over the soft file quota ({where})"
    elif files.near(near):
        status, message = "warn", f"{files.used} of {files.nearest} files ({where})"
    else:
        status, message = "pass", f"{files.used} files" + (
            f" of {files.hard}" if files.hard else "") + f" ({where})"
    result.append(Finding(check="home.files", subject=subject, status=status, message=message,
                          fix="delete or move small files (caches, venvs) to scratch"
                          if status != "pass" else None))
    return result
