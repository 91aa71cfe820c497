"""verify's root checks: each root exists, is the user's (or their group's project
directory), is not writable by others and is not inside home."""

from __future__ import annotations

import os
from functools import partial

from scratchenv.checks.findings import Context, Finding
from scratchenv.checks.ownership import ownership_findings
from scratchenv.realpaths import is_within


def check_root(ctx: Context) -> list[Finding]:
    """Each root exists, is the user's (or their group's, when set explicitly), is not
    writable by others, is not inside home."""
    findings = []
    for root in ctx.plan.roots:
        findings += _check_one_root(ctx, root)
    return findings


def _check_one_root(ctx: Context, root: str) -> list[Finding]:
    found = partial(Finding, subject=root)
    name = f"the {ctx.plan.root_name(root)}"
    if not os.path.isdir(root):
        return [found(check="root.exists", status="fail",
                      message=f"{name} does not exist (not mounted on this node?)",
                      fix=f"mkdir -p -m 700 {root}")]
    findings = [found(check="root.exists", status="pass", message=f"{name} exists")]
    if os.stat(root).st_uid != os.getuid() and _is_group_root(root):
        findings += _group_ownership(root)
    else:
        findings += ownership_findings(root, "root", root)
    if is_within(root, ctx.home):
        setting = "persistent_root" if root == ctx.plan.persistent_root else "SCRATCHENV_ROOT"
        findings.append(found(check="root.not_in_home", status="fail",
                              message=f"{name} is inside home ({os.path.realpath(root)})",
                              fix=f"set {setting} to a directory outside home"))
    else:
        findings.append(found(check="root.not_in_home", status="pass",
                              message=f"{name} is outside home"))
    return findings


def _is_group_root(root: str) -> bool:
    from scratchenv.config.detect import is_group_root  # tomllib, the centres: when needed

    return is_group_root(root)


def _group_ownership(root: str) -> list[Finding]:
    """A group project directory set explicitly: group-writable is its point, world-writable
    is still refused."""
    import grp

    found = partial(Finding, subject=root)
    gid = os.stat(root).st_gid
    try:
        group = grp.getgrgid(gid).gr_name
    except KeyError:
        group = f"gid {gid}"
    return [found(check="root.owner", status="pass",
                  message=f"a project directory of your group {group}"),
            found(check="root.permissions", status="pass",
                  message=f"writable by the group {group}, not by others")]
