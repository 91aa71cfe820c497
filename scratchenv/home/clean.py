"""`scratchenv clean`: remove the plan's locations by group, never outside their own root.

The cleanup steps users ran by hand (`rm -rf "$UV_CACHE_DIR" ...`) as data: each
catalogue entry names its group (cache, env, toolchain, data, run) and clean removes the
locations of the chosen groups. What a person made survives unless named:
- inside a chosen location, the locations of other groups (a data entry nested in a cache),
  the entry's `keep` names (ccache.conf; a project's models/, report/, *_checkpoints/) and
  anything that looks like a checkpoint or trained model (checkpoints/recognise.py) stay;
  these go when named (`--delete PATH`);
- runs never synced (the catalogue's `unsynced`: W&B's offline runs) stay; they go only with
  --delete-unsynced-runs;
- mount points (bind mounts of the same file system too), other users' files and
  scratchenv's own install always stay (removal.untouchable).
Every location is removed through the one safe delete (removal.py): strictly inside its own
root (the scratch root, or the persistent root for the groups the tiers put there) once the
symlinks above it resolve, a link removed as a link, no symlink followed.
Checkpoint directories are not a group here: `scratchenv checkpoints cleanup` keeps the
newest ones.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Sequence
from typing import TYPE_CHECKING

from scratchenv.config.catalogue import GROUPS as GROUP_MEANINGS
from scratchenv.config.catalogue import kept_names, load_default
from scratchenv.errors import ScratchenvError
from scratchenv.locations import below, inside
from scratchenv.plain import record
from scratchenv.realpaths import escapes
from scratchenv.removal import remove_tree, untouchable

if TYPE_CHECKING:
    from scratchenv.config.catalogue import Entry, Unsynced
    from scratchenv.plan import Plan

# What users type (plural, as in `clean caches`) -> the catalogue's groups.
GROUPS = {
    "caches": ("cache",),
    "envs": ("env",),
    "toolchains": ("toolchain",),
    "data": ("data",),
    "runs": ("run",),
    "all": tuple(GROUP_MEANINGS),
}
WORDS = {groups[0]: word for word, groups in GROUPS.items() if word != "all"}
"""cache -> caches: the command-line word of each group."""

UNSYNCED_FLAG = "--delete-unsynced-runs"


@record
class Kept:
    """Something inside a chosen location that stays, and why."""

    path: str
    why: str
    named: bool = False
    """It goes when the user names it (`--delete PATH`): a checkpoint, a model, a report."""


@record
class Target:
    var: str
    group: str
    path: str
    root: str
    problem: str | None = None
    """Why it is left alone (it leads outside the root); None when it can go."""
    keep: tuple[Kept, ...] = ()
    """What inside it survives the removal."""

    @property
    def exists(self) -> bool:
        return os.path.lexists(self.path)


def targets(plan: Plan, which: str, *, delete_unsynced_runs: bool = False,
            delete: Sequence[str] = ()) -> list[Target]:
    """The locations of the groups in `which` (a GROUPS key), outermost only, plan order,
    each with what inside it stays; `delete`: kept checkpoints, models and made things the
    user named to go all the same."""
    groups = GROUPS[which]
    roots = {change.name: change.root or plan.root for change in plan.variables}
    chosen: list[tuple[str, str, Entry]] = []
    others: list[tuple[str, str]] = []
    for change in plan.variables:
        entry = change.entry
        path = os.path.normpath(change.value)
        if entry is not None and entry.group in groups and entry.anchor == "root":
            chosen.append((change.name, path, entry))
        else:
            others.append((change.name, path))
    found: list[Target] = []
    for var, path, entry in chosen:
        if any(inside(path, t.path) for t in found):
            continue
        found = [t for t in found if not below(t.path, path)]
        # Inside ITS root: a cache must be under scratch, a venv under the persistent root.
        problem = escapes(path, roots[var])
        found.append(Target(var, entry.group, path, roots[var],
                            f"{problem}: left alone" if problem else None))
    named = {os.path.normpath(os.path.abspath(path)) for path in delete}
    # Pinned files switched off are written into the caches: the shipped entries say where.
    entries = [*(c.entry for c in plan.variables if c.entry), *load_default().entries]
    result = []
    for target in found:
        kept = [Kept(path, f"{var} is not in `{which}`") for var, path in others
                if below(path, target.path)]
        for var, path, entry in chosen:
            if inside(path, target.path):
                kept += _made_by_a_person(var, path, entry, entries, delete_unsynced_runs)
        if not target.problem:
            kept += _not_ours(target.path)
        kept = [k for k in kept if k.path not in named or not k.named]
        result.append(Target(target.var, target.group, target.path, target.root,
                             target.problem, _outermost(kept)))
    return result


def unmatched(found: Sequence[Target], delete: Sequence[str]) -> list[str]:
    """The `delete` paths that would not go: outside every target, or (in) something kept
    that a name does not release (a mount point, another user's file)."""
    named = {os.path.normpath(os.path.abspath(path)): path for path in delete}
    inside_targets = [t.path for t in found if not t.problem]
    return [path for key, path in named.items()
            if not any(inside(key, where) for where in inside_targets)
            or any(inside(key, k.path) for t in found for k in t.keep)]


NAMED = "kept unless named (`--delete PATH`)"


def _not_ours(path: str) -> list[Kept]:
    """What under `path` is not bytes to clean (removal.untouchable): mount points, other
    users' files, scratchenv's own install, and checkpoints or trained models, which alone
    go when named."""
    # Here, not at the top: every command's parser imports this module (for GROUPS).
    from scratchenv.checkpoints.recognise import made_by_training

    return [Kept(item.path, f"{item.why}: {NAMED}" if item.judged else item.why,
                 named=item.judged)
            for item in untouchable(path, made_by_training)]


def _made_by_a_person(var: str, path: str, entry: Entry, entries: Sequence[Entry],
                      delete_unsynced_runs: bool) -> list[Kept]:
    kept = [Kept(found, f"{var}: made here, not downloaded: {NAMED}", named=True)
            for found in _matching(path, kept_names(entry, entries))]
    rule = entry.unsynced
    if rule is not None and not delete_unsynced_runs:
        kept += [Kept(run, f"{rule.what} never synced: `{rule.sync} {run}`, or {UNSYNCED_FLAG}")
                 for run in unsynced_runs(path, rule)]
    return kept


def _matching(path: str, patterns: tuple[str, ...]) -> list[str]:
    """What under `path` a `keep` pattern names: `/` separates levels, each level a glob
    (`.triton/override`); reached through real directories only, no symlink followed."""
    found: set[str] = set()
    for pattern in patterns:
        level = [path]
        for part in pattern.split("/"):
            level = [os.path.join(directory, name) for directory in level
                     if os.path.isdir(directory) and not os.path.islink(directory)
                     for name in os.listdir(directory) if fnmatch.fnmatchcase(name, part)]
        found.update(level)
    return sorted(found)


def unsynced_runs(location: str, rule: Unsynced) -> list[str]:
    """Run directories under `location` that their tool has not synced, by the entry's
    rule (catalogue `unsynced`): a run is synced once each of its logs has the mark beside
    it; one without a log is unsynced. A symlink is never a run."""
    found = []
    for pattern in rule.runs:
        folder, _, glob = pattern.rpartition("/")
        base = os.path.join(location, folder) if folder else location
        try:
            names = sorted(os.listdir(base))
        except OSError:
            continue
        for name in names:
            run = os.path.join(base, name)
            if not fnmatch.fnmatchcase(name, glob) or os.path.islink(run):
                continue
            try:
                files = os.listdir(run)
            except OSError:
                files = []
            logs = [f for f in files if fnmatch.fnmatchcase(f, rule.log)]
            if not logs or any(f"{log}{rule.synced}" not in files for log in logs):
                found.append(run)
    return found


def _outermost(kept: list[Kept]) -> tuple[Kept, ...]:
    result: list[Kept] = []
    for item in kept:
        if any(inside(item.path, other.path) for other in result):
            continue
        result = [other for other in result if not below(other.path, item.path)]
        result.append(item)
    return tuple(result)


def remove(target: Target) -> None:
    """Remove one location (a link as a link) except what it keeps; refuses a target
    with a problem."""
    if target.problem:
        raise ScratchenvError(f"{target.path}: {target.problem}")
    _remove_except(target.path, target.root, [kept.path for kept in target.keep])


def _remove_except(path: str, root: str, keep: list[str]) -> None:
    """Remove `path` but what lies in `keep`: whole subtrees through the one safe delete."""
    try:
        if not any(inside(kept, path) for kept in keep):
            remove_tree(path, root)
            return
        mode = os.lstat(path).st_mode
        if path in keep or not stat.S_ISDIR(mode):
            return
        children = sorted(os.listdir(path))
    except FileNotFoundError:
        return
    except OSError as problem:  # a read-only scratch mount; rmtree names only the leaf
        raise ScratchenvError(f"cannot remove {path}: {problem.strerror}") from None
    for name in children:
        _remove_except(os.path.join(path, name), root, keep)
