"""verify's home check: home under thresholds.home_warn, from the quota when the
system has one, else from a bounded scan."""

from __future__ import annotations

from functools import partial

from scratchenv.checks.findings import Context, Finding, Status
from scratchenv.locations import current_user
from scratchenv.units import format_size


def check_home_usage(ctx: Context, *, over: Status = "warn") -> list[Finding]:
    """Home under thresholds.home_warn: the quota when the system has one, else a bounded scan."""
    from scratchenv.disk import quota

    limit = ctx.plan.thresholds.home_warn
    found = partial(Finding, check="home.usage", subject=ctx.home)
    fix = "move what is big to scratch: scratchenv status shows it"
    report = quota.user_quota(ctx.home, current_user())
    if report is not None:
        from scratchenv.checks.quota_findings import quota_findings

        return quota_findings(report, subject=ctx.home, limit=limit, over=over,
                              near=ctx.plan.thresholds.quota_near)
    from scratchenv.disk.usage import scan

    usage = scan(ctx.home, stop_after_bytes=limit)
    if not usage.complete:
        return [found(status=over, fix=fix,
                      message=f"home uses more than {format_size(limit)} (scan stopped at "
                              f"{format_size(usage.bytes)} after {usage.files} files; no quota)")]
    return [found(status="pass",
                  message=f"home uses {format_size(usage.bytes)} in {usage.files} files "
                          f"(limit {format_size(limit)}; scanned, no quota)")]
