"""`scratchenv doctor`: what is filling home, and what `migrate` would do about it.

Findings, in this order: an interrupted migration; scratchenv's own install on the purged
scratch root (where it runs from is always said: install.py); each entry's default location that
holds data (sizes as `du` counts them, file counts because inode quotas bite too), less
what stays (pinned files, other entries' directories); places of tools no variable moves
(offenders.toml); checkpoints the old setup left (the legacy transformers cache, `.art/` and
`checkpoints/` in the current checkout: `scratchenv checkpoints adopt/archive` take them);
with a persistent root, what a single-root setup left on scratch that now belongs there;
large directories nothing knows; files on scratch near the purge age.
Only the first two kinds are *fixable*: `scratchenv migrate` fixes them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from scratchenv import install
from scratchenv.checkpoints import archive
from scratchenv.checks import purge
from scratchenv.disk.usage import Usage, scan
from scratchenv.home import migrate, pipx_apps, venvs
from scratchenv.home.moves import (
    existing_keeps,
    home_moves,
    known_places,
    left_out,
    offenders,
    superseded,
    superseded_note,
)
from scratchenv.locations import below, tilde
from scratchenv.plain import asdict, record
from scratchenv.plan import Plan
from scratchenv.realpaths import is_within, same_place

Kind = Literal["interrupted", "install", "movable", "pipx", "offender", "checkpoints", "unknown",
               "purge", "tier"]


@record
class Diagnosis:
    kind: Kind
    path: str
    bytes: int
    """Allocated bytes, as `du` counts them (0 when not measured)."""
    files: int
    """Entries below the path (files, directories, links)."""
    fixable: bool
    """`scratchenv migrate` fixes it."""
    what: str
    action: str
    tool: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


class _Sizes:
    """usage.scan, each path once."""

    def __init__(self) -> None:
        self._cache: dict[str, Usage] = {}

    def __call__(self, path: str) -> Usage:
        if path not in self._cache:
            self._cache[path] = scan(path)
        return self._cache[path]

    def own(self, path: str, excluded: Sequence[str]) -> tuple[int, int]:
        """(bytes, entries) of `path` without the trees in `excluded` (each counts itself)."""
        whole = self(path)
        nbytes, files = whole.bytes, whole.files
        if not os.path.isdir(path) or os.path.islink(path):
            return nbytes, 1
        for inner in excluded:
            if os.path.lexists(inner):
                part = self(inner)
                nbytes -= part.bytes
                # A directory's scan counts what is below it; a file's counts the file.
                files -= part.files + (os.path.isdir(inner) and not os.path.islink(inner))
        return max(nbytes, 0), max(files, 0)


def findings(plan: Plan, checkout: str | None = None,
             environ: Mapping[str, str] | None = None) -> list[Diagnosis]:
    """Everything doctor reports, in a stable order; `checkout` is the git worktree it runs
    in (its `.art/` and `checkpoints/` directories are reported); `environ`: the live one
    by default."""
    environ = os.environ if environ is None else environ
    home = plan.home
    sizes = _Sizes()
    found: list[Diagnosis] = []
    if migrate.interrupted(plan) is not None:
        found.append(Diagnosis("interrupted", migrate.journal_path(plan), 0, 0, True,
                             "a migration was interrupted",
                             f"`{migrate.rerun_command(plan)}` finishes it"))
    found += _own_install(plan)
    for move in home_moves(plan):
        source = move.source
        if not os.path.lexists(source) or os.path.islink(source):
            continue
        nbytes, files = sizes.own(source, left_out(move))
        if files == 0:
            continue
        action = f"`scratchenv migrate {move.tool}` moves it to {move.dest}"
        settled = superseded_note(superseded(move), home)
        if settled:
            action += f" and {settled}"
        kept = existing_keeps(move, home)
        if kept:
            action += f"; leaves {kept}"
        found.append(Diagnosis("movable", source, nbytes, files, True,
                             f"{move.tool} ({_why_in_home(move.var, environ)})", action,
                             move.tool))
    found += _pipx_apps_left(plan, sizes)
    checkout_venvs = [(path, sizes(path).bytes) for path in venvs.in_home(plan)]
    for move in venvs.moves(plan, plan.thresholds.large_venv, checkout_venvs):
        usage = sizes(move.source)
        found.append(Diagnosis(
            "movable", move.source, usage.bytes, usage.files, True,
            "a checkout's venv inside home",
            f"`scratchenv migrate {venvs.TOOL}` moves it to {move.dest} and leaves a link in "
            "its place (what `scratchenv link-venv` in the checkout does)", venvs.TOOL))
    for offender in offenders(plan):
        if os.path.isdir(offender.path) and not os.path.islink(offender.path):
            usage = sizes(offender.path)
            found.append(Diagnosis("offender", offender.path, usage.bytes, usage.files, False,
                                 offender.what, offender.advice, offender.key))
    found += _old_checkpoints(plan, checkout, sizes)
    found += _left_on_scratch(plan, sizes)
    found += _unknown(plan, sizes, [path for path, _ in checkout_venvs])
    for risk in purge.at_risk(plan):
        found.append(Diagnosis("purge", risk.path, 0, risk.old_files, False,
                             f"{risk.place} on scratch near the purge age", risk.describe()))
    return found


def _own_install(plan: Plan) -> list[Diagnosis]:
    """scratchenv's own install on the purged scratch root: a purge deletes it and every
    shell then silently loses the environment (clean and migrate leave it alone)."""
    place = install.own_install()
    if not is_within(place, plan.root) or (
            plan.persistent_root is not None and is_within(place, plan.persistent_root)):
        return []
    return [Diagnosis("install", place, 0, 0, False,
                      "scratchenv's own install is on the purged scratch root: a purge "
                      "deletes it, and every login then runs without it",
                      _reinstall_advice(place, plan.home))]


def _reinstall_advice(place: str, home: str) -> str:
    """The command that puts scratchenv back into home: pipx's own record of what it
    installed, when pipx installed it."""
    import json

    try:
        with open(os.path.join(place, "pipx_metadata.json"), encoding="utf-8") as handle:
            spec = json.load(handle)["main_package"]["package_or_url"]
    except (OSError, ValueError, KeyError, TypeError):
        spec = None
    if isinstance(spec, str) and spec:
        return (f"`env PIPX_HOME={home}/.local/share/pipx pipx install --force {spec}` "
                "reinstalls it in home")
    return (f"reinstall it outside scratch (`pipx install` with PIPX_HOME={home}/.local/"
            f"share/pipx, or `uv tool install` with UV_TOOL_DIR={home}/.local/share/uv/tools)")


def _pipx_apps_left(plan: Plan, sizes: _Sizes) -> list[Diagnosis]:
    """pipx apps in an older PIPX_HOME in home that the plan's PIPX_HOME lacks: `pipx list`
    no longer shows them. The advice is pipx's own reinstall, one command."""
    change = plan.get("PIPX_HOME")
    if change is None:
        return []
    found = []
    for relative in pipx_apps.HOMES:
        old = os.path.join(plan.home, relative)
        if not os.path.isdir(old) or os.path.islink(old) or same_place(old, change.value):
            continue
        lost = pipx_apps.missing(old, change.value)
        if not lost:
            continue
        usage = sizes(old)
        names = ", ".join(app.name for app in lost)
        found.append(Diagnosis(
            "pipx", old, usage.bytes, usage.files, False,
            f"pipx apps installed before PIPX_HOME moved ({names}): `pipx list` does not "
            "show them",
            f"`{pipx_apps.reinstall_command(lost, change.value)}` installs them again under "
            f"PIPX_HOME (a venv cannot be moved); then remove {tilde(old, plan.home)}",
            "pipx"))
    return found


def _why_in_home(var: str, environ: Mapping[str, str]) -> str:
    """Why the tool's data is still in home: the variable is unset, or it is set and this
    is what was written before it was."""
    value = environ.get(var)
    if not value:
        return f"{var} unset"
    return f"{var} is set to {value}; this was written before"


def _old_checkpoints(plan: Plan, checkout: str | None, sizes: _Sizes) -> list[Diagnosis]:
    """What the old setup's "Migration from Existing Checkpoints" moved by hand."""
    found = []
    for path in archive.legacy_places(plan.home, checkout):
        usage = sizes(path)
        if path == os.path.join(plan.home, archive.LEGACY_HF):
            what = "the legacy transformers cache (before huggingface_hub)"
            action = (f"`scratchenv checkpoints archive --apply {path}` moves it to "
                      f"{plan.checkpoint_place.root}/archived_models_YYYYMMDD/ "
                      "(it holds checkpoints: never moved or cleaned as cache)")
        else:
            what = f"{os.path.basename(path)}/ inside the checkout {checkout}"
            action = (f"`scratchenv checkpoints adopt {path}` moves its checkpoints to this "
                      "worktree's directory on scratch; `scratchenv checkpoints archive` "
                      "archives it")
        found.append(Diagnosis("checkpoints", path, usage.bytes, usage.files, False, what,
                               action))
    from scratchenv.checkpoints.directories import UNCLAIMED_ADVICE, unclaimed

    for directory in unclaimed(plan):
        usage = sizes(str(directory))
        found.append(Diagnosis("checkpoints", str(directory), usage.bytes, usage.files, False,
                               "a checkpoint directory no worktree has claimed (no record: "
                               "made by hand or by the old script)",
                               UNCLAIMED_ADVICE.format(path=directory)))
    return found


def _left_on_scratch(plan: Plan, sizes: _Sizes) -> list[Diagnosis]:
    """What a single-root setup left on the scratch root that the tiers now put on the
    persistent root: a purge will take it, and nothing uses it any more."""
    from scratchenv.checkpoints.directories import directories, status_of

    if plan.persistent_root is None:
        return []
    found = []
    for change in plan.variables:
        entry = change.entry
        if entry is None or change.tier != "persistent":
            continue
        old = os.path.join(plan.root, entry.path)
        if not os.path.isdir(old) or os.path.islink(old):
            continue
        if change.name == "PIPX_HOME":
            lost = pipx_apps.missing(old, change.value)
            if not lost:
                continue  # every app is installed at its new place: nothing uses this
            command = pipx_apps.reinstall_command(lost, change.value)
        usage = sizes(old)
        if change.name == "PIPX_HOME":
            action = (f"`{command}` installs its apps again at {change.value} (a venv cannot "
                      f"be moved); then delete {old}")
        elif entry.group == "env" and entry.tool == "project":
            action = (f"rebuild it at {change.value} (`scratchenv bootstrap --venv`: a venv "
                      f"cannot be moved), then delete {old}")
        elif entry.group == "env":
            action = (f"create its environments again at {change.value} with the tool that "
                      f"made them ({entry.tool}: a venv cannot be moved), then delete {old}")
        elif entry.group == "toolchain":
            action = (f"reinstall it at {change.value} (`scratchenv bootstrap --rust` for "
                      f"Rust), then delete {old}")
        else:
            action = f"copy it to {change.value}, then delete {old}"
        found.append(Diagnosis("tier", old, usage.bytes, usage.files, False,
                               f"{change.name}'s old place on the purged scratch root",
                               action, entry.tool))
    if plan.checkpoint_place.tier == "persistent":
        for id_, path in directories(plan, Path(plan.root)):
            usage = sizes(str(path))
            status = status_of(plan, id_, path, measure=False)
            found.append(Diagnosis(
                "tier", str(path), usage.bytes, usage.files, False,
                "a checkpoint directory on the purged scratch root (training resumes from it "
                "there)", f"{status.move_advice} moves it to {status.belongs_on}"))
    return found


def _unknown(plan: Plan, sizes: _Sizes,
             reported: Sequence[str] = ()) -> list[Diagnosis]:
    """Large directories directly in home that no entry or offender accounts for (less the
    `reported` checkout venvs)."""
    home = plan.home
    known = known_places(plan) + list(reported)
    limits = plan.thresholds
    found = []
    try:
        children = sorted(os.scandir(home), key=lambda entry: entry.name)
    except OSError:
        return []
    for child in children:
        if not child.is_dir(follow_symlinks=False):
            continue
        if any(place == child.path or below(child.path, place) for place in known):
            continue
        inner = [place for place in known if below(place, child.path)]
        nbytes, files = sizes.own(child.path, inner)
        if nbytes >= limits.large_dir or files >= limits.many_files:
            found.append(Diagnosis(
                "unknown", child.path, nbytes, files, False, "no catalogue entry knows it",
                f"if a tool writes it, add its variable under [vars] in config (see "
                f"`scratchenv catalogue`); else move it to {plan.root} yourself"))
    return found


def fixable_count(found: Sequence[Diagnosis]) -> int:
    """How many findings `migrate` fixes."""
    return sum(finding.fixable for finding in found)


def to_json(plan: Plan, found: Sequence[Diagnosis]) -> dict:
    """The `--json` document (schema: README, `scratchenv doctor`)."""
    return {
        "schema_version": 1,
        "home": plan.home,
        "root": plan.root,
        "persistent_root": plan.persistent_root,
        "install": install.own_install(),
        "purge_days": plan.purge.days,
        "purge_by": plan.purge.by,
        "fixable": fixable_count(found),
        "findings": [finding.to_json() for finding in found],
    }

