"""verify's variable checks: every variable of the Plan is set, absolute, where the
Plan puts it (or pinned), and safe on disk. Paths are compared where they really are
(realpaths.py), never as strings: homes and scratch are often symlinked."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from functools import partial

from scratchenv.checks.findings import Context, Finding, export_line
from scratchenv.checks.ownership import ownership_findings
from scratchenv.config.trust import replaceable_link
from scratchenv.locations import up_to_root
from scratchenv.plan import SetVar
from scratchenv.realpaths import is_within, nearest_existing, real, same_place


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
    # The export line only when something failed: quoting it imports the shell renderers.
    fix = partial(export_line, name,
                  ctx.plan.exported_in(change, ctx.environ) or change.exported)
    if not exported:
        return [found(check="var.set", status="fail", message="not set", fix=fix())]
    findings = [found(check="var.set", status="pass", message=f"set to {exported}")]
    if change.tail and "" not in exported.split(":"):
        findings.append(found(check="var.path_list", status="fail",
                              message=f"{name} has no empty entry: the tool drops its own "
                                      "default entries (its bundled depots)", fix=fix()))
    value = change.location_in(exported)
    if not os.path.isabs(value):
        why = ("~ in quotes is not expanded: some tools read it as home, others as a "
               "directory named ~" if value.startswith("~")
               else "it moves with the working directory")
        findings.append(found(check="var.absolute", status="fail",
                              message=f"{name}={value} is relative: {why}", fix=fix()))
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
              fix: Callable[[], str]) -> list[Finding]:
    name = change.name
    own_root = change.root or ctx.root  # the plan says which root; never guessed here
    root_name = ctx.plan.root_name(own_root)
    found = partial(Finding, subject=name)
    really = real(value)
    shown = value if really == value else f"{value} (really {really})"
    if is_within(value, ctx.home):
        link = None
        if expected is not None and is_within(expected, ctx.home):
            link = _crossing_into(expected, ctx.home)
        # Where the plan points may lead back into home: exporting it again cannot help then.
        advice = (fix() if link is None
                  else f"replace the symlink {link} with a directory on scratch")
        return [found(check="var.not_in_home", status="fail", message=f"{shown} is inside home",
                      fix=advice)]
    findings = [found(check="var.not_in_home", status="pass", message=f"{shown} is outside home")]
    # Against the root itself, on real paths: the plan's own value may lead out of it (a
    # symlink under the root, or settings someone else wrote).
    link = replaceable_link(value)
    if link is not None:  # whoever can repoint it decides where the files go
        findings.append(found(check="var.under_root", status="fail",
                              message=f"{shown} is reached through the symlink {link}, which "
                                      "others could repoint", fix=fix()))
    elif expected is None:
        findings.append(found(check="var.under_root", status="skip",
                              message="kept the site's value (keep_site_values)"))
    elif not (is_within(value, own_root) or _in_node_tmp(ctx, value)):
        findings.append(found(check="var.under_root", status="fail",
                              message=f"{shown} is not under the {root_name} {own_root}",
                              fix=fix()))
    elif is_within(value, expected):
        findings.append(found(check="var.under_root", status="pass", message=f"at {expected}"))
    else:
        findings.append(found(check="var.under_root", status="warn",
                              message=f"{shown} is under the {root_name}, but the plan says "
                                      f"{expected}", fix=fix()))
    return findings


def _crossing_into(path: str, home: str) -> str | None:
    """The first part of `path` that leads into `home` although its parent does not."""
    parts = list(up_to_root(os.path.normpath(path)))
    for part in reversed(parts[:-1]):
        if is_within(part, home) and not is_within(os.path.dirname(part), home):
            return part
    return None


def _in_node_tmp(ctx: Context, value: str) -> bool:
    base = ctx.plan.node_dir(ctx.environ)
    return base is not None and is_within(value, base)


def _directory(ctx: Context, name: str, value: str) -> list[Finding]:
    """The directory exists (or can be created), and nobody else can write into it."""
    found = partial(Finding, subject=name)
    really = real(value)
    if os.path.exists(really):
        if not os.path.isdir(really):
            return [found(check="var.exists", status="fail",
                          message=f"{value} exists but is not a directory",
                          fix=f"move {really} away")]
        return [found(check="var.exists", status="pass", message=f"{value} exists"),
                *ownership_findings(really, "var", name)]
    parent = nearest_existing(os.path.dirname(really))
    if os.path.isdir(parent) and os.access(parent, os.W_OK | os.X_OK):
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
