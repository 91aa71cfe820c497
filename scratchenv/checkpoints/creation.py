"""`checkpoints setup`: create a worktree's checkpoint directory (0700, with its ownership
record), safe when every rank of a distributed job races to do it, and keep checkpoints and
caches out of git (.gitignore)."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from scratchenv.checkpoints.identity import Identity, with_worktree_id
from scratchenv.checkpoints.ownership import (
    METADATA,
    CheckpointDir,
    metadata_text,
    resolve,
    write_record,
)
from scratchenv.checkpoints.places import plain_directory
from scratchenv.errors import ScratchenvError
from scratchenv.fsutil import atomic_write, makedirs_private
from scratchenv.plain import record

if TYPE_CHECKING:
    from scratchenv.plan import Plan

GITIGNORE_ENTRIES = ("*/checkpoints_*/", ".art/", "*/.art/", "**/unsloth_compiled_cache/")


@record
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
        if plain_directory(found.path):
            write_record(found)
            return _with_gitignore(Setup(found, created=False), identity, gitignore)
        try:
            makedirs_private(found.path.parent)
            staging = tempfile.mkdtemp(dir=found.path.parent, prefix=f".{found.path.name}.")
        except OSError as problem:
            raise ScratchenvError(f"cannot create {found.path}: {problem.strerror}") from None
        try:
            atomic_write(Path(staging) / METADATA, metadata_text(found), mode=0o600)
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
