"""`verify --node`: what matters on a compute node, as checks in the verify engine's shape.

On a node the question is not how the login shell is set up but whether this machine can
run the job: the scratch root mounted and writable here, node-local scratch ($SLURM_TMPDIR,
else $TMPDIR) present for the node-local caches, and whether home is read-only.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Mapping
from functools import partial

from scratchenv.checks.findings import Check, Context, Finding
from scratchenv.checks.verify import (
    check_free_space,
    check_path,
    check_root,
    check_script,
    check_tools,
    check_variables,
    check_venv,
)
from scratchenv.plan import node_local_base


def node_name(environ: Mapping[str, str]) -> str:
    """The node as Slurm calls it, else the short host name."""
    return environ.get("SLURMD_NODENAME") or socket.gethostname().split(".")[0]


def check_job(ctx: Context) -> list[Finding]:
    """Which node and job this is; its subject names the node in `verify --all-nodes`."""
    node = node_name(ctx.environ)
    job = ctx.environ.get("SLURM_JOB_ID")
    if not job:
        return [Finding(check="node.job", subject=node, status="skip",
                        message="not inside a Slurm job: node-local scratch is not used")]
    return [Finding(check="node.job", subject=node, status="pass", message=f"job {job} on {node}")]


def check_root_writable(ctx: Context) -> list[Finding]:
    """Write a file on each root: a read-only or stale mount, or a full quota, shows here."""
    findings = []
    for root in ctx.plan.roots:
        findings += _root_writable(ctx, root)
    return findings


def _root_writable(ctx: Context, root: str) -> list[Finding]:
    found = partial(Finding, check="node.root_writable", subject=root)
    name = "persistent root" if root == ctx.plan.persistent_root else "scratch root"
    if not os.path.isdir(root):
        return []  # check_root already says it is missing
    try:
        with tempfile.TemporaryFile(dir=root, prefix=".scratchenv-probe-") as probe:
            probe.write(b"x")
            probe.flush()
    except OSError as error:
        return [found(status="fail",
                      message=f"cannot write on the {name} here: {error.strerror}",
                      fix=f"ask the admins whether {root} is mounted read-write on "
                          f"{node_name(ctx.environ)}, or check your quota")]
    return [found(status="pass", message=f"the {name} is writable on this node")]


def check_node_local(ctx: Context) -> list[Finding]:
    """Node-local scratch exists and is writable when the Plan has node-local caches.

    Whether each of those variables points there is check_variables' business.
    """
    names = [change.name for change in ctx.plan.variables if change.node_local is not None]
    found = partial(Finding, check="node.local_scratch")
    if not ctx.environ.get("SLURM_JOB_ID"):
        return []
    base = node_local_base(ctx.environ)
    if base is None:
        if not names:
            return []
        return [found(subject="SLURM_TMPDIR", status="warn",
                      message=f"no $SLURM_TMPDIR or $TMPDIR: {', '.join(names)} stay on "
                              "shared scratch",
                      fix="ask the admins for node-local scratch (job_container/tmpfs)")]
    if not os.path.isdir(base) or not os.access(base, os.W_OK | os.X_OK):
        what = "is not writable" if os.path.isdir(base) else "does not exist"
        source = "SLURM_TMPDIR" if ctx.environ.get("SLURM_TMPDIR") else "TMPDIR"
        return [found(subject=base, status="fail" if names else "warn",
                      message=f"node-local scratch {base} (${source}) {what}",
                      fix=f"unset {source} in the job, or ask the admins")]
    uses = f"for {', '.join(names)}" if names else "(no node-local cache in the plan)"
    return [found(subject=base, status="pass", message=f"node-local scratch {uses}")]


def check_home_writable(ctx: Context) -> list[Finding]:
    """Some clusters mount home read-only on nodes: fine for the Plan, fatal for stragglers."""
    found = partial(Finding, check="node.home_writable", subject=ctx.home)
    if os.access(ctx.home, os.W_OK):
        return [found(status="pass", message="home is writable on this node")]
    return [found(status="warn",
                  message="home is read-only on this node: a tool still writing to ~ fails here",
                  fix="scratchenv verify --deep on a login node shows which tools write to home")]


def check_home_quota(ctx: Context) -> list[Finding]:
    """Home near its quota warns before the job starts: a job that writes there would fail
    half-way. Only the quota tools answer here (a walk of home is too slow for a node)."""
    from scratchenv.checks.quota_findings import quota_findings
    from scratchenv.config.settings import current_user
    from scratchenv.disk.quota import user_quota

    report = user_quota(ctx.home, current_user())
    if report is None:
        return [Finding(check="home.usage", subject=ctx.home, status="skip",
                        message="no quota tool answers for home here")]
    limits = ctx.settings.thresholds
    return quota_findings(report, subject=ctx.home, limit=limits.home_warn,
                          near=limits.quota_near)


NODE_CHECKS: list[Check] = [
    check_job,
    check_root,
    check_root_writable,
    check_free_space,
    check_node_local,
    check_variables,
    check_path,
    check_venv,
    check_home_writable,
    check_home_quota,
    check_script,  # only with --script
    check_tools,  # only with --deep
]
"""`verify --node`: fast (seconds), so a job script can run it before the real work."""
