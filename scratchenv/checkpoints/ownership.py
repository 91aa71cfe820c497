"""Which checkpoint directory is whose: the record `.scratchenv-worktree` inside each one
names its owner (the worktree's path and the id kept in its git directory, see identity.py,
or a project name), so two worktrees whose names sanitise alike never share one (the second
gets `<id>-<hash of its path>`), a moved worktree finds its directory again, and status and
prune-orphans know where its worktree is now."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scratchenv.checkpoints.identity import Identity
from scratchenv.checkpoints.places import (
    checkpoint_bases,
    directories,
    directory_for,
    plain_directory,
)
from scratchenv.config.reading import read_written_dict
from scratchenv.errors import ConfigError, ScratchenvError
from scratchenv.fsutil import atomic_write
from scratchenv.plain import record

if TYPE_CHECKING:
    from scratchenv.plan import Plan

METADATA = ".scratchenv-worktree"
"""JSON inside each checkpoint directory: {"id", "worktree", "project"}."""


@record
class CheckpointDir:
    path: Path
    id: str
    identity: Identity
    taken_by: str | None = None
    """When the plain id belonged to someone else: who (so the CLI can say so)."""


def read_metadata(directory: Path) -> dict[str, Any] | None:
    """The ownership record of a checkpoint directory, or None when it has none."""
    # A record someone else could have written says nothing (see SECURITY.md).
    return read_written_dict(directory / METADATA)


def _describe_owner(metadata: dict[str, Any] | None) -> str:
    if metadata is None:
        return "something that is not a checkpoint directory"
    if metadata.get("project") is not None:
        return f"project {metadata['project']!r}"
    return str(metadata.get("worktree"))


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
    hashed_meta = read_metadata(hashed) if plain_directory(hashed) else None
    if hashed_meta is not None and identity.owns(hashed_meta):
        return CheckpointDir(hashed, hashed_id, identity, _owner_of_plain(plain))
    if not os.path.lexists(plain):
        return _on_another_root(plan, identity, (identity.id, hashed_id)) or \
            CheckpointDir(plain, identity.id, identity)
    plain_meta = read_metadata(plain) if plain_directory(plain) else None
    if plain_directory(plain) and (plain_meta is None or identity.owns(plain_meta)):
        return CheckpointDir(plain, identity.id, identity)
    if os.path.lexists(hashed) and not (plain_directory(hashed) and hashed_meta is None):
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
            if not plain_directory(path):
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


def metadata_text(found: CheckpointDir) -> str:
    """The ownership record of `found`, as written to its METADATA file."""
    return json.dumps(_metadata(found), indent=2, sort_keys=True) + "\n"


def write_record(found: CheckpointDir) -> None:
    """Record `found.identity` as the owner of `found.path`, unless it already says so
    (a moved worktree's record then names its new path)."""
    if read_metadata(found.path) == _metadata(found):
        return
    try:
        atomic_write(found.path / METADATA, metadata_text(found), mode=0o600)
    except OSError as problem:
        raise ScratchenvError(f"cannot write {found.path / METADATA}: "
                              f"{problem.strerror}") from None


def refresh(plan: Plan, identity: Identity) -> None:
    """When `identity`'s directory exists and its record names an old path (the worktree
    moved), record the new one; so status and prune-orphans, run anywhere, see it."""
    if identity.worktree_id is None:
        return
    found = resolve(plan, identity)
    record = read_metadata(found.path) if plain_directory(found.path) else None
    if record is not None and record.get("worktree_id") == identity.worktree_id:
        with contextlib.suppress(ScratchenvError):  # a read-only scratch: nothing to record
            write_record(found)
