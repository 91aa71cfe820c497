"""Per-worktree checkpoint directories on scratch: naming, setup, status and cleanup.

Each git worktree (or named project) gets `{root}/checkpoints_{id}/` (settings
`checkpoints.layout`), where id is `<parent-dir>_<worktree-dir>`, sanitised. The file
`.scratchenv-worktree` inside records who owns the directory, so two worktrees whose names
sanitise alike never share one (the second gets `<id>-<hash of its path>`), and status and
prune-orphans know which worktree a directory belongs to.

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
from scratchenv.errors import ConfigError, ScratchenvError
from scratchenv.fsutil import atomic_write, makedirs_private
from scratchenv.locations import working_directory

if TYPE_CHECKING:
    from scratchenv.config.settings import Settings

METADATA = ".scratchenv-worktree"
"""JSON inside each checkpoint directory: {"id", "worktree", "project"}."""
TRAINER_STATE = "trainer_state.json"
"""Written last by transformers.Trainer._save_checkpoint: its presence means complete."""
GITIGNORE_ENTRIES = ("*/checkpoints_*/", ".art/", "*/.art/", "**/unsloth_compiled_cache/")
_STEP = re.compile(r"checkpoint-(\d+)")
_MAX_ID = 100


# Identity: who a checkpoint directory belongs to.


@dataclass(frozen=True)
class Identity:
    """A worktree (git top level, else the working directory) or a named project."""

    id: str
    """The sanitised name, before any disambiguation."""
    worktree: str
    """Absolute path of the git worktree (or working directory) this was asked from."""
    in_git: bool
    project: str | None = None

    def owns(self, metadata: dict[str, Any]) -> bool:
        if self.project is not None:
            return metadata.get("project") == self.project
        return metadata.get("project") is None and metadata.get("worktree") == self.worktree

    @property
    def key(self) -> str:
        return f"project:{self.project}" if self.project is not None else self.worktree


def sanitise(name: str) -> str:
    """A directory-name-safe form of `name`: letters, digits, `.`, `_`, `-`; no `..`."""
    clean = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    clean = re.sub(r"\.{2,}", ".", clean).strip("._-")
    return clean[:_MAX_ID] or "unnamed"


def identify(project_name: str | None = None, cwd: str | None = None) -> Identity:
    """This worktree's identity (`git rev-parse --show-toplevel`, else `cwd`), or a project's."""
    here = os.path.realpath(cwd or working_directory())
    top = _git_toplevel(here)
    where = top or here
    if project_name is not None:
        if not project_name.strip():
            raise ConfigError("the checkpoint project name is empty")
        return Identity(sanitise(project_name), where, top is not None, project_name)
    path = Path(where)
    return Identity(sanitise(f"{path.parent.name}_{path.name}"), where, top is not None)


def _git_toplevel(cwd: str) -> str | None:
    from scratchenv import proc

    try:
        result = proc.run(["git", "rev-parse", "--show-toplevel"], cwd=cwd, timeout=30)
    except ScratchenvError:  # no git on PATH: the working directory is the identity
        return None
    top = result.stdout.strip()
    return os.path.realpath(top) if result.ok and top else None


# Where directories go, and which one is ours.


def checkpoint_root(settings: Settings) -> Path:
    """The directory that holds every checkpoint directory; nothing outside it is deleted."""
    parent = os.path.dirname(settings.checkpoints.layout)
    return settings.scratch_root / parent if parent else settings.scratch_root


def directory_for(settings: Settings, dir_id: str) -> Path:
    return settings.scratch_root / settings.checkpoints.layout.replace("{id}", dir_id)


@dataclass(frozen=True)
class CheckpointDir:
    path: Path
    id: str
    identity: Identity
    taken_by: str | None = None
    """When the plain id belonged to someone else: who (so the CLI can say so)."""


def read_metadata(directory: Path) -> dict[str, Any] | None:
    """The ownership record of a checkpoint directory, or None when it has none."""
    try:
        data = json.loads((directory / METADATA).read_text(encoding="utf-8"))
    except (OSError, ValueError):
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


def resolve(settings: Settings, identity: Identity) -> CheckpointDir:
    """The directory `identity` owns or would own; creates nothing.

    The plain id is used unless another owner's record is there; then `<id>-<hash>`, the
    hash being of the worktree path (or project name). A directory without a record (made
    by hand, or by the old setup with the same naming) is adopted.
    """
    plain = directory_for(settings, identity.id)
    digest = hashlib.sha256(identity.key.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    hashed_id = f"{identity.id}-{digest}"
    hashed = directory_for(settings, hashed_id)
    hashed_meta = read_metadata(hashed) if _plain_directory(hashed) else None
    if hashed_meta is not None and identity.owns(hashed_meta):
        return CheckpointDir(hashed, hashed_id, identity, _owner_of_plain(plain))
    if not os.path.lexists(plain):
        return CheckpointDir(plain, identity.id, identity)
    plain_meta = read_metadata(plain) if _plain_directory(plain) else None
    if _plain_directory(plain) and (plain_meta is None or identity.owns(plain_meta)):
        return CheckpointDir(plain, identity.id, identity)
    if os.path.lexists(hashed) and not (_plain_directory(hashed) and hashed_meta is None):
        raise ConfigError(
            f"both {plain} and {hashed} belong to others; use a project name (--project)"
        )
    return CheckpointDir(hashed, hashed_id, identity, _describe_owner(plain_meta))


def _owner_of_plain(plain: Path) -> str | None:
    return _describe_owner(read_metadata(plain)) if os.path.lexists(plain) else None


def _metadata_text(found: CheckpointDir) -> str:
    identity = found.identity
    record: dict[str, str | int | None] = {
        "id": found.id,
        "worktree": identity.worktree if identity.project is None else None,
        "project": identity.project,
    }
    if identity.project is None:
        with contextlib.suppress(OSError):
            record["parent_device"] = os.stat(os.path.dirname(identity.worktree)).st_dev
    return json.dumps(record, indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True)
class Setup:
    directory: CheckpointDir
    created: bool
    gitignore: Path | None = None
    """The worktree's .gitignore, when this is a git worktree."""
    gitignore_added: tuple[str, ...] = ()


def setup(settings: Settings, identity: Identity) -> Setup:
    """Create the directory (0700, with its ownership record) and extend the .gitignore.

    Creation is a rename of a complete temporary directory, so processes racing to set up
    (e.g. every rank of a distributed job) all end up with the same directory.
    """
    for _attempt in range(3):
        found = resolve(settings, identity)
        if _plain_directory(found.path):
            if read_metadata(found.path) is None:
                atomic_write(found.path / METADATA, _metadata_text(found), mode=0o600)
            return _with_gitignore(Setup(found, created=False), identity)
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
        return _with_gitignore(Setup(found, created=True), identity)
    raise ScratchenvError(f"could not claim {found.path}: it keeps changing under us")


def _with_gitignore(result: Setup, identity: Identity) -> Setup:
    if not identity.in_git:
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
        match = _STEP.fullmatch(entry.name)
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


def plan_cleanup(settings: Settings, directory: Path, keep: int) -> Cleanup:
    """Keep the newest `keep` checkpoints (never fewer than the newest one); pure look-up.

    One still being written is left alone and does not count towards `keep`: it may never
    be complete, so the newest finished ones must survive it."""
    if keep < 1:
        raise ConfigError(f"keep must be at least 1, not {keep} (the newest is never deleted)")
    checkpoints, skipped = list_checkpoints(
        directory, writing_seconds=settings.checkpoints.writing_seconds
    )
    result = Cleanup(directory, skipped=skipped)
    for checkpoint in checkpoints:
        if checkpoint.writing:
            result.skipped.append(Skipped(checkpoint.path, "still being written"))
        elif len(result.keep) < keep:
            result.keep.append(checkpoint)
        else:
            result.delete.append(checkpoint)
    return result


def apply_cleanup(settings: Settings, cleanup: Cleanup) -> list[Path]:
    """Delete what `cleanup` says to delete; returns what was deleted."""
    for checkpoint in cleanup.delete:
        remove_tree(checkpoint.path, settings.scratch_root)
    return [checkpoint.path for checkpoint in cleanup.delete]


def remove_tree(path: Path, root: Path) -> None:
    """Delete the real directory `path`, which must lie inside `root` once symlinks resolve."""
    removal.remove_tree(path, root, directories_only=True)


# Every checkpoint directory of this user.


@dataclass(frozen=True)
class DirStatus:
    path: Path
    id: str
    worktree: str | None
    project: str | None
    has_record: bool
    checkpoints: int
    bytes: int
    newest: str | None

    parent_device: int | None = None
    """The device of the worktree's parent when the record was written (None: older record)."""

    @property
    def worktree_exists(self) -> bool | None:
        """None when unknown (no record, not tied to a worktree, or not provably gone)."""
        return self.worktree_state[0]

    @property
    def worktree_state(self) -> tuple[bool | None, str]:
        """(exists, why): gone only when provably absent, with its parent readable (and on
        the file system it was on: an unmounted one is not proof); in doubt, None and why."""
        if not self.has_record:
            return None, "no record"
        if self.worktree is None:
            return None, f"project {self.project}"
        return worktree_state(self.worktree, self.parent_device)

    @property
    def orphan(self) -> bool:
        return self.worktree_exists is False

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "id": self.id,
            "worktree": self.worktree,
            "project": self.project,
            "worktree_exists": self.worktree_exists,
            "checkpoints": self.checkpoints,
            "bytes": self.bytes,
            "newest": self.newest,
        }


def directories(settings: Settings) -> list[tuple[str, Path]]:
    """(id, path) of every checkpoint directory under the root (by the layout), by path."""
    last = os.path.basename(settings.checkpoints.layout)
    before, after = last.split("{id}")
    pattern = glob.escape(before) + "*" + glob.escape(after)
    found = []
    for name in sorted(glob.glob(pattern, root_dir=checkpoint_root(settings))):
        path = checkpoint_root(settings) / name
        if _plain_directory(path):
            found.append((name[len(before):len(name) - len(after)], path))
    return found


def all_directories(settings: Settings) -> list[DirStatus]:
    """Every checkpoint directory with its worktree, count, size and newest checkpoint."""
    from scratchenv.disk.usage import scan

    result = []
    for id_, path in directories(settings):
        record = read_metadata(path)
        checkpoints, _ = list_checkpoints(path)
        result.append(DirStatus(
            path=path,
            id=id_,
            worktree=record.get("worktree") if record else None,
            project=record.get("project") if record else None,
            has_record=record is not None,
            parent_device=_int_or_none(record.get("parent_device")) if record else None,
            checkpoints=len(checkpoints),
            bytes=scan(str(path)).bytes,
            newest=checkpoints[0].name if checkpoints else None,
        ))
    return result


def worktree_state(worktree: str, parent_device: int | None = None) -> tuple[bool | None, str]:
    """Whether `worktree` exists: True, False only when provably absent, else None; and why."""
    try:
        os.stat(worktree)
        return True, "exists"
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as error:
        return None, f"cannot see the worktree ({_strerror(error)}): kept"
    parent = os.path.dirname(worktree)
    try:
        names = os.listdir(parent)
        device = os.stat(parent).st_dev
    except (OSError, ValueError) as error:
        return None, f"cannot read its parent {parent} ({_strerror(error)}): kept"
    if os.path.basename(worktree) in names:
        return None, "listed by its parent but not reachable: kept"
    if parent_device is not None and device != parent_device:
        return None, f"{parent} is on another file system than before (not mounted?): kept"
    return False, "worktree gone"


def _strerror(error: BaseException) -> str:
    return error.strerror if isinstance(error, OSError) and error.strerror else str(error)


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def orphans(settings: Settings) -> list[DirStatus]:
    """Directories whose recorded worktree no longer exists (never one without a record)."""
    return [status for status in all_directories(settings) if status.orphan]
