"""Per-worktree checkpoint directories on scratch: naming, setup, status and cleanup.

Each git worktree (or named project) gets `{root}/checkpoints_{id}/` (settings
`checkpoints.layout`), where id is `<parent-dir>_<worktree-dir>`, sanitised. The file
`.scratchenv-worktree` inside records who owns the directory (its path and the id kept in its
git directory, see identity.py), so two worktrees whose names sanitise alike never share one
(the second gets `<id>-<hash of its path>`), a moved worktree finds its directory again, and
status and prune-orphans know where its worktree is now.

Hugging Face needs nothing more than `TrainingArguments(output_dir=setup_checkpoint_directory())`:
the Trainer then saves `checkpoint-<step>/` there, rotates with `save_total_limit` and finds
the latest for `resume_from_checkpoint=True` by itself. Importing this module never imports
transformers or torch.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scratchenv import removal
from scratchenv.checkpoints.identity import (
    Identity,
    locate,
    with_worktree_id,
)
from scratchenv.config.trust import read_written
from scratchenv.errors import ConfigError, ScratchenvError
from scratchenv.fsutil import atomic_write, makedirs_private
from scratchenv.realpaths import below

if TYPE_CHECKING:
    from scratchenv.plan import Plan

METADATA = ".scratchenv-worktree"
"""JSON inside each checkpoint directory: {"id", "worktree", "project"}."""
TRAINER_STATE = "trainer_state.json"
"""Written last by transformers.Trainer._save_checkpoint: its presence means complete."""
GITIGNORE_ENTRIES = ("*/checkpoints_*/", ".art/", "*/.art/", "**/unsloth_compiled_cache/")
STEP = re.compile(r"checkpoint-(\d+)")
"""A checkpoint's name, as the Trainer's get_last_checkpoint matches it."""


# Where directories go, and which one is ours.


def checkpoint_root(plan: Plan) -> Path:
    """The directory that holds every checkpoint directory; nothing outside it is deleted."""
    return Path(plan.checkpoint_place.directory)


def checkpoint_bases(plan: Plan) -> list[Path]:
    """The roots checkpoint directories may be on: the checkpoints tier's root first, then
    the other root (directories made there before `persistent_root` or `tiers` changed)."""
    return [Path(base) for base in plan.checkpoint_place.bases]


def root_holding(plan: Plan, path: Path) -> Path:
    """The root (of `checkpoint_bases`) that `path` is written under; the checkpoints tier's
    root when none is (the safe delete then refuses it)."""
    bases = checkpoint_bases(plan)
    written = os.path.normpath(os.path.abspath(path))
    for base in bases:
        if below(written, os.path.normpath(os.path.abspath(base))):
            return base
    return bases[0]


def directory_for(plan: Plan, dir_id: str, base: Path | None = None) -> Path:
    """Where the directory `dir_id` goes on `base` (default: the checkpoints tier's root)."""
    place = plan.checkpoint_place
    root = Path(place.root) if base is None else base
    return root / place.layout.replace("{id}", dir_id)


@dataclass(frozen=True)
class CheckpointDir:
    path: Path
    id: str
    identity: Identity
    taken_by: str | None = None
    """When the plain id belonged to someone else: who (so the CLI can say so)."""


def read_metadata(directory: Path) -> dict[str, Any] | None:
    """The ownership record of a checkpoint directory, or None when it has none."""
    # A record someone else could have written says nothing (see SECURITY.md).
    found = read_written(directory / METADATA)
    try:
        data = json.loads(found) if found is not None else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _describe_owner(metadata: dict[str, Any] | None) -> str:
    if metadata is None:
        return "something that is not a checkpoint directory"
    if metadata.get("project") is not None:
        return f"project {metadata['project']!r}"
    return str(metadata.get("worktree"))


def _plain_directory(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def resolve(plan: Plan, identity: Identity) -> CheckpointDir:
    """The directory `identity` owns or would own; creates nothing.

    First the directory whose record carries this worktree's id (wherever the worktree is
    now). Else the plain id, unless another owner's record is there; then `<id>-<hash>`, the
    hash being of the worktree path (or project name). A directory without a record (made
    by hand, or by the old setup with the same naming) is adopted.
    """
    plain = directory_for(plan, identity.id)
    digest = hashlib.sha256(identity.key.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    hashed_id = f"{identity.id}-{digest}"
    hashed = directory_for(plan, hashed_id)
    if identity.worktree_id is not None:
        for id_, path in directories(plan):
            record = read_metadata(path)
            if record is not None and record.get("worktree_id") == identity.worktree_id:
                taken_by = _owner_of_plain(plain) if path == hashed else None
                return CheckpointDir(path, id_, identity, taken_by)
    hashed_meta = read_metadata(hashed) if _plain_directory(hashed) else None
    if hashed_meta is not None and identity.owns(hashed_meta):
        return CheckpointDir(hashed, hashed_id, identity, _owner_of_plain(plain))
    if not os.path.lexists(plain):
        return _on_another_root(plan, identity, (identity.id, hashed_id)) or \
            CheckpointDir(plain, identity.id, identity)
    plain_meta = read_metadata(plain) if _plain_directory(plain) else None
    if _plain_directory(plain) and (plain_meta is None or identity.owns(plain_meta)):
        return CheckpointDir(plain, identity.id, identity)
    if os.path.lexists(hashed) and not (_plain_directory(hashed) and hashed_meta is None):
        raise ConfigError(
            f"both {plain} and {hashed} belong to others; use a project name (--project)"
        )
    return CheckpointDir(hashed, hashed_id, identity, _describe_owner(plain_meta))


def _on_another_root(plan: Plan, identity: Identity,
                     ids: tuple[str, ...]) -> CheckpointDir | None:
    """`identity`'s directory left on the other root (made before `persistent_root` or
    `tiers` changed), so training resumes from it instead of starting over."""
    for base in checkpoint_bases(plan)[1:]:
        for dir_id in ids:
            path = directory_for(plan, dir_id, base)
            if not _plain_directory(path):
                continue
            record = read_metadata(path)
            if identity.owns(record) if record is not None else dir_id == identity.id:
                return CheckpointDir(path, dir_id, identity)
    return None


def _owner_of_plain(plain: Path) -> str | None:
    return _describe_owner(read_metadata(plain)) if os.path.lexists(plain) else None


def _metadata(found: CheckpointDir) -> dict[str, Any]:
    identity = found.identity
    worktree = identity.project is None
    record: dict[str, Any] = {
        "id": found.id,
        "worktree": identity.worktree if worktree else None,
        "project": identity.project,
        "worktree_id": identity.worktree_id if worktree else None,
        "gitdir": identity.gitdir if worktree else None,
    }
    if worktree:  # so an unmounted file system is not taken for a removed worktree
        with contextlib.suppress(OSError):
            record["parent_device"] = os.stat(os.path.dirname(identity.worktree)).st_dev
    return record


def _metadata_text(found: CheckpointDir) -> str:
    return json.dumps(_metadata(found), indent=2, sort_keys=True) + "\n"


def write_record(found: CheckpointDir) -> None:
    """Record `found.identity` as the owner of `found.path`, unless it already says so
    (a moved worktree's record then names its new path)."""
    if read_metadata(found.path) == _metadata(found):
        return
    try:
        atomic_write(found.path / METADATA, _metadata_text(found), mode=0o600)
    except OSError as problem:
        raise ScratchenvError(f"cannot write {found.path / METADATA}: "
                              f"{problem.strerror}") from None


def refresh(plan: Plan, identity: Identity) -> None:
    """When `identity`'s directory exists and its record names an old path (the worktree
    moved), record the new one; so status and prune-orphans, run anywhere, see it."""
    if identity.worktree_id is None:
        return
    found = resolve(plan, identity)
    record = read_metadata(found.path) if _plain_directory(found.path) else None
    if record is not None and record.get("worktree_id") == identity.worktree_id:
        with contextlib.suppress(ScratchenvError):  # a read-only scratch: nothing to record
            write_record(found)


@dataclass(frozen=True)
class Setup:
    directory: CheckpointDir
    created: bool
    gitignore: Path | None = None
    """The worktree's .gitignore, when it was asked for and this is a git worktree."""
    gitignore_added: tuple[str, ...] = ()


def setup(plan: Plan, identity: Identity, *, gitignore: bool = False) -> Setup:
    """Create the directory (0700, with its ownership record); with `gitignore`, extend the
    worktree's .gitignore too.

    Creation is a rename of a complete temporary directory, so processes racing to set up
    (e.g. every rank of a distributed job) all end up with the same directory.
    """
    identity = with_worktree_id(identity)
    for _attempt in range(3):
        found = resolve(plan, identity)
        if _plain_directory(found.path):
            write_record(found)
            return _with_gitignore(Setup(found, created=False), identity, gitignore)
        try:
            makedirs_private(found.path.parent)
            staging = tempfile.mkdtemp(dir=found.path.parent, prefix=f".{found.path.name}.")
        except OSError as problem:
            raise ScratchenvError(f"cannot create {found.path}: {problem.strerror}") from None
        try:
            atomic_write(Path(staging) / METADATA, _metadata_text(found), mode=0o600)
            os.rename(staging, found.path)
        except OSError as problem:
            shutil.rmtree(staging, ignore_errors=True)
            if problem.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise ScratchenvError(
                    f"cannot create {found.path}: {problem.strerror}"
                ) from None
            continue  # someone else got there first: look again
        return _with_gitignore(Setup(found, created=True), identity, gitignore)
    raise ScratchenvError(f"could not claim {found.path}: it keeps changing under us")


def _with_gitignore(result: Setup, identity: Identity, wanted: bool) -> Setup:
    if not wanted or not identity.in_git:
        return result
    path = Path(identity.worktree) / ".gitignore"
    added = ensure_gitignore(path)
    return Setup(result.directory, result.created, path, added)


def ensure_gitignore(path: Path) -> tuple[str, ...]:
    """Append the GITIGNORE_ENTRIES missing from `path`; returns those added."""
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        text, mode = "", 0o644
    except OSError as problem:
        raise ScratchenvError(f"cannot read {path}: {problem.strerror}") from None
    present = {line.strip() for line in text.splitlines()}
    missing = tuple(entry for entry in GITIGNORE_ENTRIES if entry not in present)
    if missing:
        prefix = text if not text or text.endswith("\n") else text + "\n"
        block = "# checkpoints and caches (scratchenv checkpoints setup)\n"
        try:
            atomic_write(path, prefix + block + "".join(f"{e}\n" for e in missing), mode=mode)
        except OSError as problem:
            raise ScratchenvError(f"cannot add checkpoint entries to {path}: "
                                  f"{problem.strerror}") from None
    return missing


# The checkpoints inside one directory, and cleanup.


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    step: int
    mtime: float
    writing: bool = False

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


@dataclass(frozen=True)
class Cleanup:
    """What cleanup keeps, deletes and leaves alone in one checkpoint directory."""

    directory: Path
    keep: list[Checkpoint] = field(default_factory=list)
    delete: list[Checkpoint] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    why: dict[Path, str] = field(default_factory=dict)
    """Why a kept checkpoint is kept ("newest", "best ..."), by path."""
    refused: list[Skipped] = field(default_factory=list)
    """Filled by apply_cleanup: what the safe delete would not delete, and why."""


def list_checkpoints(
    directory: Path, *, writing_seconds: float = 0, now: float | None = None
) -> tuple[list[Checkpoint], list[Skipped]]:
    """`checkpoint-<step>` directories, newest first (step, then mtime); symlinks are skipped."""
    now = time.time() if now is None else now
    found: list[Checkpoint] = []
    skipped: list[Skipped] = []
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return [], []
    for entry in entries:
        match = STEP.fullmatch(entry.name)
        if not match:
            continue
        if entry.is_symlink():
            skipped.append(Skipped(Path(entry.path), "symlink: left alone, never followed"))
            continue
        if not entry.is_dir(follow_symlinks=False):
            continue
        try:
            mtime = entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:  # deleted since listed (another rank cleaning up too)
            continue
        writing = _being_written(Path(entry.path), now - writing_seconds)
        found.append(Checkpoint(Path(entry.path), int(match.group(1)), mtime, writing))
    found.sort(key=lambda c: (c.step, c.mtime, c.name), reverse=True)
    skipped.sort(key=lambda s: s.path.name)
    return found, skipped


def _being_written(path: Path, since: float) -> bool:
    """No trainer_state.json yet (the Trainer writes it last) and something changed recently."""
    if (path / TRAINER_STATE).is_file():
        return False
    for top, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            try:
                if os.lstat(os.path.join(top, name)).st_mtime >= since:
                    return True
            except FileNotFoundError:
                continue
    try:
        return os.lstat(path).st_mtime >= since
    except FileNotFoundError:
        return False


def best_checkpoint(checkpoints: list[Checkpoint]) -> tuple[Checkpoint, float | None] | None:
    """The checkpoint the newest trainer_state.json names as `best_model_checkpoint` (with
    `load_best_model_at_end=True`), and its `best_metric`; None when none is named here.

    Matched by name inside this directory: the Trainer records the path it saved to, which
    differs once the directory was moved or adopted."""
    for checkpoint in checkpoints:  # newest first: the first readable state decides
        try:
            state = json.loads((checkpoint.path / TRAINER_STATE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        best = state.get("best_model_checkpoint") if isinstance(state, dict) else None
        if not isinstance(best, str) or not best:
            return None
        name = os.path.basename(best.rstrip("/"))
        metric = state.get("best_metric")
        for candidate in checkpoints:
            if candidate.name == name:
                return candidate, metric if isinstance(metric, (int, float)) else None
        return None
    return None


def plan_cleanup(plan: Plan, directory: Path, keep: int) -> Cleanup:
    """Keep the newest `keep` checkpoints (never fewer than the newest one) and the best one
    the Trainer recorded (as its own `save_total_limit` rotation does); pure look-up.

    One still being written is left alone and does not count towards `keep`: it may never
    be complete, so the newest finished ones must survive it."""
    if keep < 1:
        raise ConfigError(f"keep must be at least 1, not {keep} (the newest is never deleted)")
    checkpoints, skipped = list_checkpoints(
        directory, writing_seconds=plan.checkpoint_place.writing_seconds
    )
    result = Cleanup(directory, skipped=skipped)
    best = best_checkpoint([c for c in checkpoints if not c.writing])
    for checkpoint in checkpoints:
        if checkpoint.writing:
            result.skipped.append(Skipped(checkpoint.path, "still being written"))
        elif len(result.keep) < keep or (best is not None and checkpoint == best[0]):
            if not result.keep:
                result.why[checkpoint.path] = "newest"
            result.keep.append(checkpoint)
        else:
            result.delete.append(checkpoint)
    if best is not None:
        metric = f" ({best[1]:g})" if best[1] is not None else ""
        result.why[best[0].path] = ", ".join(
            filter(None, [result.why.get(best[0].path), f"best{metric}: best_model_checkpoint "
                          f"in {TRAINER_STATE}"]))
    return result


def apply_cleanup(plan: Plan, cleanup: Cleanup) -> list[Path]:
    """Delete what `cleanup` says to delete; returns what was deleted. What the safe delete
    refuses (a mount point or another user's file inside, a symlink out of the root) is
    kept whole and added to `cleanup.refused`; the others are still deleted."""
    root = root_holding(plan, cleanup.directory)
    deleted = []
    for checkpoint in cleanup.delete:
        try:
            remove_tree(checkpoint.path, root)
        except ScratchenvError as refused:
            cleanup.refused.append(Skipped(checkpoint.path, str(refused)))
            continue
        deleted.append(checkpoint.path)
    return deleted


def remove_tree(path: Path, root: Path) -> None:
    """Delete the real directory `path`, which must lie inside `root` once symlinks resolve
    (the one safe delete, removal.py)."""
    removal.remove_tree(path, root, directories_only=True)


# Every checkpoint directory of this user.


@dataclass(frozen=True)
class DirStatus:
    path: Path
    id: str
    worktree: str | None
    """Where its worktree is now (it may have moved since the record was written)."""
    project: str | None
    worktree_exists: bool | None
    """None when unknown (no record) or not tied to a worktree (a named project)."""
    checkpoints: int
    bytes: int
    newest: str | None
    recorded_worktree: str | None = None
    doubt: str = ""
    """Why it is unknown whether the worktree is there (kept, and said)."""
    root: Path | None = None
    """The root it is on."""
    belongs_on: Path | None = None
    """The checkpoints tier's root, when it is on the other one (left there before
    `persistent_root` or `tiers` changed): training resumes from it where it is."""

    @property
    def move_advice(self) -> str:
        """The command that moves it to `belongs_on` (empty when it is there already)."""
        if self.belongs_on is None:
            return ""
        if self.project:
            return f"`scratchenv checkpoints adopt --project {self.project} {self.path}`"
        if self.worktree and self.worktree_exists is not False:
            return f"`cd {self.worktree} && scratchenv checkpoints adopt {self.path}`"
        return (f"`scratchenv checkpoints adopt {self.path}` in its worktree (or "
                f"`scratchenv checkpoints archive {self.path}`)")

    @property
    def orphan(self) -> bool:
        """Its worktree is really gone: `git worktree prune` would drop it."""
        return self.worktree_exists is False

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "id": self.id,
            "worktree": self.worktree,
            "recorded_worktree": self.recorded_worktree,
            "project": self.project,
            "worktree_exists": self.worktree_exists,
            "checkpoints": self.checkpoints,
            "bytes": self.bytes,
            "newest": self.newest,
            "root": str(self.root) if self.root else None,
            "belongs_on": str(self.belongs_on) if self.belongs_on else None,
        }


SEED_PREFIX = "checkpoints_"
"""The seed's script made `{root}/checkpoints_<name>/` whatever the layout says now."""


def directories(plan: Plan, base: Path | None = None) -> list[tuple[str, Path]]:
    """(id, path) of every checkpoint directory on either root (`checkpoint_bases`, the
    checkpoints tier's root first), by the layout and the seed's `checkpoints_*` naming.

    `base`: under that root only."""
    layout = plan.checkpoint_place.layout
    last = os.path.basename(layout)
    before, after = last.split("{id}")
    pattern = glob.escape(before) + "*" + glob.escape(after)
    parent = os.path.dirname(layout)
    found: list[tuple[str, Path]] = []
    seen: set[Path] = set()
    for root in [base] if base is not None else checkpoint_bases(plan):
        holder = root / parent if parent else root
        names = [(holder, name, before, after)
                 for name in sorted(glob.glob(pattern, root_dir=holder))]
        names += [(root, name, SEED_PREFIX, "")
                  for name in sorted(glob.glob(SEED_PREFIX + "*", root_dir=root))]
        for where, name, head, tail in names:
            path = where / name
            if path not in seen and _plain_directory(path):
                seen.add(path)
                found.append((name[len(head):len(name) - len(tail)], path))
    return found


def unclaimed(plan: Plan) -> list[Path]:
    """Checkpoint directories on either root without an ownership record: made by hand or
    by the seed's script (`{root}/checkpoints_*`); kept, and reported."""
    return [path for _, path in directories(plan) if read_metadata(path) is None]


UNCLAIMED_ADVICE = ("`scratchenv checkpoints adopt --in-place {path}`, run in its worktree, "
                    "records it as that worktree's; `scratchenv checkpoints archive {path}` "
                    "archives it")


def all_directories(plan: Plan) -> list[DirStatus]:
    """Every checkpoint directory with its worktree, count, size and newest checkpoint;
    largest first."""
    result = [status_of(plan, id_, path) for id_, path in directories(plan)]
    result.sort(key=lambda d: (-d.bytes, str(d.path)))
    return result


def status_of(plan: Plan, id_: str, path: Path, *, measure: bool = True) -> DirStatus:
    """One directory's status; `measure=False` leaves its size at 0 (the caller has it)."""
    from scratchenv.disk.usage import scan

    record = read_metadata(path)
    checkpoints, _ = list_checkpoints(path)
    where = locate(record)
    recorded = record.get("worktree") if record else None
    root, primary = root_holding(plan, path), checkpoint_bases(plan)[0]
    return DirStatus(
        path=path,
        id=id_,
        worktree=where.path,
        project=record.get("project") if record else None,
        worktree_exists=None if where.gone is None else not where.gone,
        checkpoints=len(checkpoints),
        bytes=scan(str(path)).bytes if measure else 0,
        newest=checkpoints[0].name if checkpoints else None,
        recorded_worktree=recorded if isinstance(recorded, str) else None,
        doubt=where.why,
        root=root,
        belongs_on=primary if root != primary else None,
    )


def orphans(plan: Plan) -> list[DirStatus]:
    """Directories whose worktree is really gone (never one without a record)."""
    return [status for status in all_directories(plan) if status.orphan]
