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
from scratchenv.fsutil import private_dir_problem


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
    name = ctx.plan.root_name(root)
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
    """The user's node-local directory is usable when the Plan has node-local caches: its
    parent exists and is writable, and it is the user's alone (activation makes it 0700 and
    refuses one that someone else owns or can write to).

    Whether each of those variables points there is check_variables' business.
    """
    names = [change.name for change in ctx.plan.variables if change.node_local is not None]
    found = partial(Finding, check="node.local_scratch")
    if not ctx.environ.get("SLURM_JOB_ID") or not names:
        return []
    node_dir = ctx.plan.node_dir(ctx.environ)
    if node_dir is None:
        return [found(subject="node_local", status="warn",
                      message=f"no node-local directory in this job: {', '.join(names)} stay "
                              "on shared scratch",
                      fix="ask the admins for node-local scratch ($SLURM_TMPDIR), or set "
                          "node_local in your config")]
    problem = private_dir_problem(node_dir)
    if problem is not None:
        return [found(subject=node_dir, status="fail",
                      message=f"node-local directory {node_dir} {problem}: refused, "
                              f"{', '.join(names)} stay on shared scratch",
                      fix=f"remove {node_dir} if it is yours, else ask the admins; or set "
                          "node_local to a directory of your own")]
    parent = os.path.dirname(node_dir)
    if not os.path.isdir(node_dir) and not os.access(parent, os.W_OK | os.X_OK):
        what = "is not writable" if os.path.isdir(parent) else "does not exist"
        fix = "ask the admins, or set node_local to a directory you can create"
        if ("tmp", "") in ctx.plan.node_pieces:
            source = "SLURM_TMPDIR" if ctx.environ.get("SLURM_TMPDIR") else "TMPDIR"
            fix = f"unset {source} in the job, or {fix}"
        return [found(subject=node_dir, status="fail",
                      message=f"node-local directory {node_dir}: {parent} {what}", fix=fix)]
    return [found(subject=node_dir, status="pass",
                  message=f"node-local directory (yours alone) for {', '.join(names)}")]


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
    from scratchenv.disk.quota import user_quota
    from scratchenv.locations import current_user

    report = user_quota(ctx.home, current_user())
    if report is None:
        return [Finding(check="home.usage", subject=ctx.home, status="skip",
                        message="no quota tool answers for home here")]
    limits = ctx.plan.thresholds
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
