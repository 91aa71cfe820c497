"""Check the live environment (os.environ and the disk) against the Plan: Findings in a Report.

Every check is a small function `check(ctx) -> list[Finding]`; `CHECKS` lists them in the
order a report shows them, so adding one is one line. Paths are compared where they really
are (realpaths.py), never as strings: homes and scratch are often symlinked.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path

from scratchenv.checks.findings import (
    Check,
    Context,
    Finding,
    Report,
    Status,
    export_line,
)
from scratchenv.checks.quota_findings import quota_findings
from scratchenv.checks.script import check_script
from scratchenv.config.detect import is_group_root
from scratchenv.config.settings import current_user
from scratchenv.config.trust import replaceable_link
from scratchenv.locations import user_named
from scratchenv.plan import Plan, SetVar
from scratchenv.realpaths import is_within, nearest_existing, same_place
from scratchenv.units import format_size

# --- the scratch root ---------------------------------------------------------------------


def root_name(ctx: Context, root: str) -> str:
    """How a report calls `root`: "the scratch root" or "the persistent root"."""
    return f"the {ctx.plan.root_name(root)}"


def check_root(ctx: Context) -> list[Finding]:
    """Each root exists, is the user's (or their group's, when set explicitly), is not
    writable by others, is not inside home."""
    findings = []
    for root in ctx.plan.roots:
        findings += _check_one_root(ctx, root)
    return findings


def _check_one_root(ctx: Context, root: str) -> list[Finding]:
    found = partial(Finding, subject=root)
    name = root_name(ctx, root)
    if not os.path.isdir(root):
        return [found(check="root.exists", status="fail",
                      message=f"{name} does not exist (not mounted on this node?)",
                      fix=f"mkdir -p -m 700 {root}")]
    findings = [found(check="root.exists", status="pass", message=f"{name} exists")]
    if os.stat(root).st_uid != os.getuid() and is_group_root(root):
        findings += _group_ownership(root)
    else:
        findings += _ownership(root, "root", root)
    if is_within(root, ctx.home):
        setting = "persistent_root" if root == ctx.plan.persistent_root else "SCRATCHENV_ROOT"
        findings.append(found(check="root.not_in_home", status="fail",
                              message=f"{name} is inside home ({os.path.realpath(root)})",
                              fix=f"set {setting} to a directory outside home"))
    else:
        findings.append(found(check="root.not_in_home", status="pass",
                              message=f"{name} is outside home"))
    return findings


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


def _ownership(path: str, prefix: str, subject: str) -> list[Finding]:
    """Owned by the user, writable, and neither group- nor world-writable."""
    found = partial(Finding, subject=subject)
    st = os.stat(path)
    findings = []
    if st.st_uid != os.getuid():
        findings.append(found(check=f"{prefix}.owner", status="fail",
                              message=f"{path} is owned by {user_named(st.st_uid)}, not by you",
                              fix=f"use a directory you own instead of {path}"))
    else:
        findings.append(found(check=f"{prefix}.owner", status="pass", message="owned by you"))
    if not os.access(path, os.W_OK | os.X_OK):
        findings.append(found(check=f"{prefix}.writable", status="fail",
                              message=f"{path} is not writable by you", fix=f"chmod u+rwx {path}"))
    if st.st_mode & stat.S_IWOTH:
        findings.append(found(check=f"{prefix}.permissions", status="fail",
                              message=f"{path} is world-writable: anyone can plant files there",
                              fix=f"chmod o-w {path}"))
    elif st.st_mode & stat.S_IWGRP:
        findings.append(found(check=f"{prefix}.permissions", status="warn",
                              message=f"{path} is group-writable: your group can plant files there",
                              fix=f"chmod g-w {path}"))
    else:
        findings.append(found(check=f"{prefix}.permissions", status="pass",
                              message="writable only by you"))
    return findings



def check_dotenv(ctx: Context) -> list[Finding]:
    """The working directory's .env.local: used (allowed), or why not."""
    from scratchenv.config import trust

    state = trust.dotenv(None, ctx.environ)
    found = partial(Finding, check="settings.dotenv", subject=state.path)
    if state.text is not None:
        return [found(status="pass", message="allowed, and used")]
    if state.notice is None:
        return []
    message = state.notice.removeprefix(f"{state.path} ")
    if state.unsafe:
        return [found(status="fail", message=message,
                      fix=f"run scratchenv from a directory of yours, or remove {state.path}")]
    return [found(status="warn", message=message,
                  fix=f"scratchenv allow {state.path}  (or: scratchenv deny {state.path})")]


# --- the variables ------------------------------------------------------------------------


def check_variables(ctx: Context, *, only: Sequence[str] | None = None) -> list[Finding]:
    """Every variable of the Plan (or `only` these) is set, where the Plan puts it, safe."""
    changes = ctx.plan.variables
    if only is not None:
        changes = [change for change in changes if change.name in only]
    findings = []
    for change in changes:
        findings += check_variable(ctx, change)
    return findings


def check_variable(ctx: Context, change: SetVar) -> list[Finding]:
    """One variable: set, absolute, where the Plan puts it (or pinned), and safe on disk."""
    name = change.name
    found = partial(Finding, subject=name)
    expected = ctx.plan.value_in(change, ctx.environ)
    exported = ctx.environ.get(name, "")
    fix = export_line(name, ctx.plan.exported_in(change, ctx.environ) or change.exported)
    if not exported:
        return [found(check="var.set", status="fail", message="not set", fix=fix)]
    findings = [found(check="var.set", status="pass", message=f"set to {exported}")]
    if change.tail and "" not in exported.split(":"):
        findings.append(found(check="var.path_list", status="fail",
                              message=f"{name} has no empty entry: the tool drops its own "
                                      "default entries (its bundled depots)", fix=fix))
    value = change.location_in(exported)
    if not os.path.isabs(value):
        why = ("~ in quotes is not expanded: some tools read it as home, others as a "
               "directory named ~" if value.startswith("~")
               else "it moves with the working directory")
        findings.append(found(check="var.absolute", status="fail",
                              message=f"{name}={value} is relative: {why}", fix=fix))
        return findings
    entry = change.entry
    if entry is not None and entry.anchor == "home":
        return findings + _pinned(ctx, change, value)
    located = _location(ctx, change, value, expected, fix)
    findings += located
    if (entry is not None and entry.kind == "file") or any(f.status == "fail" for f in located):
        # Pointed at the wrong place: the export is the fix, not that directory's owner or
        # modes (`HF_HOME=/` must not advise `chmod u+rwx /`).
        return findings
    return findings + _directory(ctx, name, value)


def _location(ctx: Context, change: SetVar, value: str, expected: str | None,
              fix: str) -> list[Finding]:
    name = change.name
    own_root = change.root or ctx.root  # the plan says which root; never guessed here
    found = partial(Finding, subject=name)
    real = os.path.realpath(value)
    shown = value if real == value else f"{value} (really {real})"
    if is_within(value, ctx.home):
        link = None
        if expected is not None and is_within(expected, ctx.home):
            link = _crossing_into(expected, ctx.home)
        if link is not None:
            # Where the plan points leads back into home: exporting it again cannot help.
            fix = f"replace the symlink {link} with a directory on scratch"
        return [found(check="var.not_in_home", status="fail", message=f"{shown} is inside home",
                      fix=fix)]
    findings = [found(check="var.not_in_home", status="pass", message=f"{shown} is outside home")]
    # Against the root itself, on real paths: the plan's own value may lead out of it (a
    # symlink under the root, or settings someone else wrote).
    link = replaceable_link(value)
    if link is not None:  # whoever can repoint it decides where the files go
        findings.append(found(check="var.under_root", status="fail",
                              message=f"{shown} is reached through the symlink {link}, which "
                                      "others could repoint", fix=fix))
    elif expected is None:
        findings.append(found(check="var.under_root", status="skip",
                              message="kept the site's value (keep_site_values)"))
    elif not (is_within(value, own_root) or _in_node_tmp(ctx, value)):
        findings.append(found(check="var.under_root", status="fail",
                              message=f"{shown} is not under {root_name(ctx, own_root)} "
                                      f"{own_root}", fix=fix))
    elif is_within(value, expected):
        findings.append(found(check="var.under_root", status="pass", message=f"at {expected}"))
    else:
        findings.append(found(check="var.under_root", status="warn",
                              message=f"{shown} is under {root_name(ctx, own_root)}, but the "
                                      f"plan says {expected}", fix=fix))
    return findings


def _crossing_into(path: str, home: str) -> str | None:
    """The first part of `path` that leads into `home` although its parent does not."""
    current = Path(path)
    parts = [current, *current.parents]
    for part in reversed(parts[:-1]):
        if is_within(part, home) and not is_within(part.parent, home):
            return str(part)
    return None


def _in_node_tmp(ctx: Context, value: str) -> bool:
    base = ctx.plan.node_dir(ctx.environ)
    return base is not None and is_within(value, base)


def _directory(ctx: Context, name: str, value: str) -> list[Finding]:
    """The directory exists (or can be created), and nobody else can write into it."""
    found = partial(Finding, subject=name)
    real = os.path.realpath(value)
    if os.path.exists(real):
        if not os.path.isdir(real):
            return [found(check="var.exists", status="fail",
                          message=f"{value} exists but is not a directory",
                          fix=f"move {real} away")]
        return [found(check="var.exists", status="pass", message=f"{value} exists"),
                *_ownership(real, "var", name)]
    parent = nearest_existing(Path(real).parent)
    if parent.is_dir() and os.access(parent, os.W_OK | os.X_OK):
        return [found(check="var.exists", status="pass",
                      message=f"{value} will be created under {parent}")]
    return [found(check="var.exists", status="fail",
                  message=f"{value} does not exist and {parent} is not writable by you",
                  fix=f"mkdir -p {value}")]


def _pinned(ctx: Context, change: SetVar, value: str) -> list[Finding]:
    """An entry anchored in home on purpose (the token) must be exactly where it is pinned."""
    name = change.name
    found = partial(Finding, subject=name)
    if not same_place(value, change.value):
        return [found(check="var.pinned", status="fail",
                      message=f"{value} is not where it is pinned ({change.value})",
                      fix=export_line(name, change.value))]
    if not is_within(value, ctx.home):
        return [found(check="var.pinned", status="fail",
                      message=f"{value} leads out of home (really {os.path.realpath(value)})",
                      fix=f"replace the symlink on the way to {value} with a directory")]
    findings = [found(check="var.pinned", status="pass", message=f"pinned at {change.value}")]
    if not os.path.exists(value):
        findings.append(found(check="var.private", status="skip", message=f"no file at {value}"))
    elif os.stat(value).st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        findings.append(found(check="var.private", status="warn",
                              message=f"{value} is readable by others", fix=f"chmod 600 {value}"))
    else:
        findings.append(found(check="var.private", status="pass", message="readable only by you"))
    return findings


def check_path(ctx: Context) -> list[Finding]:
    """The Plan's PATH entries (Cargo's bin) are on PATH, ahead of any copy in home."""
    parts = [part for part in ctx.environ.get("PATH", "").split(":") if part]
    findings = []
    for change in map(partial(ctx.plan.prepend_in, environ=ctx.environ), ctx.plan.path_entries):
        found = partial(Finding, check="path.entry", subject=change.entry)
        fix = f'{export_line(change.name, change.entry)}:"${change.name}"'
        where = next((i for i, part in enumerate(parts) if same_place(part, change.entry)), None)
        if where is None:
            findings.append(found(status="fail", message=f"{change.entry} is not on PATH", fix=fix))
            continue
        shadow = next((part for part in parts[:where]
                       if is_within(part, ctx.home) and _holds_a_copy(part, change.entry)), None)
        if shadow is not None:
            findings.append(found(status="warn", fix=fix,
                                  message=f"{shadow} (in home) comes before it on PATH with "
                                          "programs of the same names"))
        else:
            findings.append(found(status="pass", message=f"{change.entry} is on PATH"))
    return findings


def _holds_a_copy(directory: str, of: str) -> bool:
    """Whether `directory` has a program named like one in `of` (~/.local/bin first on PATH
    is common and harmless; ~/.cargo/bin's old cargo first is not)."""
    try:
        return not set(os.listdir(directory)).isdisjoint(os.listdir(of))
    except OSError:
        return False


# --- the venv -------------------------------------------------------------------------------


def check_venv(ctx: Context) -> list[Finding]:
    """The project venv and the active venv are on scratch and their python runs."""
    venvs: dict[str, str] = {}
    layout = ctx.plan.project_layout
    if layout is not None and ctx.environ.get(layout.venv_var):
        venvs[layout.venv_var] = ctx.environ[layout.venv_var]
    active = ctx.environ.get("VIRTUAL_ENV")
    findings = []
    if active:
        under = next((root for root in ctx.plan.roots if is_within(active, root)), None)
        if under is not None:
            where = "on scratch" if under == ctx.root else "on the persistent root"
            findings.append(Finding(check="venv.active", subject="VIRTUAL_ENV", status="pass",
                                    message=f"the active venv {active} is {where}"))
        else:
            where = "inside home" if is_within(active, ctx.home) else "not on scratch"
            fix = "deactivate, then activate a venv under the scratch root"
            if os.path.basename(active.rstrip("/")) == ".venv":
                fix = f"deactivate; scratchenv link-venv {os.path.dirname(active.rstrip('/'))}"
            findings.append(Finding(check="venv.active", subject="VIRTUAL_ENV", status="fail",
                                    message=f"the active venv {active} is {where}", fix=fix))
        if not any(same_place(active, other) for other in venvs.values()):
            venvs["VIRTUAL_ENV"] = active
    for name, venv in venvs.items():
        findings.append(_python_runs(ctx, name, venv))
    return findings + _checkout_venv(ctx)


def _checkout_venv(ctx: Context) -> list[Finding]:
    """The `.venv` of the checkout verify runs in (the working directory or a parent below
    home): in home, `uv sync` fills home with it."""
    try:
        here = os.getcwd()
    except FileNotFoundError:
        return []
    while True:
        venv = os.path.join(here, ".venv")
        if os.path.lexists(venv):
            break
        parent = os.path.dirname(here)
        if parent == here or same_place(parent, ctx.home):
            return []
        here = parent
    found = partial(Finding, check="venv.checkout", subject=venv)
    if os.path.islink(venv) and not os.path.isdir(venv):
        return [found(status="fail",
                      message=f"{venv} is a link to {os.readlink(venv)}, which is gone "
                              "(purged or cleaned)",
                      fix=f"scratchenv link-venv {here}, then make the venv again "
                          "(uv venv; uv sync)")]
    if is_within(venv, ctx.root):
        return [found(status="pass", message=f"{venv} is on scratch")]
    if is_within(venv, ctx.home):
        return [found(status="fail", message=f"{venv} is inside home",
                      fix=f"scratchenv link-venv {here}")]
    return []


def _python_runs(ctx: Context, name: str, venv: str) -> Finding:
    from scratchenv import proc
    from scratchenv.errors import ScratchenvError

    found = partial(Finding, check="venv.python", subject=name)
    python = os.path.join(venv, "bin", "python")
    if not os.path.isdir(venv):
        return found(status="warn", message=f"no venv at {venv} yet",
                     fix="scratchenv bootstrap --venv")
    if not os.path.exists(python):
        return found(status="fail", message=f"{python} is missing or a broken link",
                     fix="scratchenv bootstrap --venv --repair")
    try:
        result = proc.run(proc.python_argv(python, "-c", "import sys; print(sys.prefix)"),
                          env=dict(ctx.environ), timeout=30, cwd=proc.SAFE_CWD)
    except ScratchenvError as error:
        return found(status="fail", message=str(error))
    if not result.ok:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return found(status="fail", message=f"{python} does not run: {last}",
                     fix="scratchenv bootstrap --venv --repair")
    return found(status="pass", message=f"{python} runs")


# --- home usage -----------------------------------------------------------------------------


def check_home_usage(ctx: Context, *, over: Status = "warn") -> list[Finding]:
    """Home under thresholds.home_warn: the quota when the system has one, else a bounded scan."""
    from scratchenv.disk import quota

    limit = ctx.plan.thresholds.home_warn
    found = partial(Finding, check="home.usage", subject=ctx.home)
    fix = "move what is big to scratch: scratchenv status shows it"
    report = quota.user_quota(ctx.home, current_user())
    if report is not None:
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


# --- the tools themselves (--deep) ----------------------------------------------------------


def check_tools(ctx: Context) -> list[Finding]:
    """With --deep: ask each installed tool where it will write (probes.py)."""
    if not ctx.deep:
        return []
    from scratchenv.checks import probes

    return probes.findings(ctx)


CHECKS: list[Check] = [
    check_free_space,
    check_root,
    check_dotenv,
    check_variables,
    check_path,
    check_venv,
    check_home_usage,
    check_script,
    check_tools,
]
"""Every check `verify` runs, in report order."""


def checklist_checks(plan: Plan) -> list[Check]:
    """The pre-submission checklist: the project's data and venv, Cargo, rustup, uv
    and pip on scratch; home under the limit (a failure here); room on scratch."""
    names = ["CARGO_HOME", "RUSTUP_HOME", "UV_CACHE_DIR", "PIP_CACHE_DIR"]
    layout = plan.project_layout
    if layout is not None:
        names = [layout.data_var, layout.venv_var, *names]
    return [
        partial(check_variables, only=names),
        partial(_project_configured, has_project=layout is not None),
        partial(check_home_usage, over="fail"),
        check_free_space,
    ]


def _project_configured(ctx: Context, *, has_project: bool) -> list[Finding]:
    if has_project:
        return []
    return [Finding(check="project.set", subject="project", status="skip",
                    message="no project set: its data and venv variables are not checked",
                    fix="export SCRATCHENV_PROJECT=nanochat")]


def verify(
    plan: Plan,
    environ: Mapping[str, str],
    *,
    need: int | None = None,
    deep: bool = False,
    script: Path | None = None,
    strict: bool = False,
    checks: Sequence[Check] | None = None,
) -> Report:
    """Run `checks` (default: CHECKS) for `plan` on `environ` and the disk; never raises for
    a failure.

    `need`: bytes the root must have free (default: thresholds.min_free). `deep`: also ask
    the installed tools (their probes run with `environ` on top of this process's env).
    `script`: a job script to scan for lines that undo the settings; with `strict`, a line
    whose effect cannot be told statically fails instead of warning.
    """
    ctx = Context(plan, environ, need=need, deep=deep, script=script, strict=strict)
    findings: list[Finding] = []
    for check in CHECKS if checks is None else checks:
        findings += check(ctx)
    return Report(findings=findings)
