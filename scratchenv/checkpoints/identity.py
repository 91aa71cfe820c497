"""Who a checkpoint directory belongs to: a worktree (or a named project), found again after
`git worktree move` or a renamed parent directory.

A worktree's path changes when it moves; its git administrative directory does not (a linked
worktree's `.git/worktrees/<name>/`, a main checkout's `.git/`, which moves with it). The first
`setup` writes a random id into that directory (ID_FILE); the checkpoint directory's record
carries the same id, so the worktree finds its directory wherever it is now. Whether a
recorded worktree is really gone follows `git worktree prune`'s rule: its administrative
directory is gone, or (unlocked) points at a `.git` that no longer exists. "Gone" is only
ever concluded from a *provable* absence: the parent directory read, the name not in it,
and (when recorded) on the same file system as before; an unreadable parent or an
unmounted file system leaves it unknown, and unknown is kept.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from typing import Any

from scratchenv.errors import ConfigError, ScratchenvError
from scratchenv.locations import working_directory
from scratchenv.plain import record, replace

ID_FILE = "scratchenv-checkpoints-id"
"""In the worktree's git administrative directory (`git rev-parse --absolute-git-dir`)."""
_MAX_ID = 100
_TOKEN = re.compile(r"[0-9a-f]{16,64}")


@record
class Identity:
    """A worktree (git top level, else the working directory) or a named project."""

    id: str
    """The sanitised name, before any disambiguation."""
    worktree: str
    """Absolute path of the git worktree (or working directory) this was asked from."""
    in_git: bool
    project: str | None = None
    gitdir: str | None = None
    """The worktree's git administrative directory (absolute), when in git."""
    worktree_id: str | None = None
    """The id recorded in `gitdir` (None until the first setup writes it)."""

    def owns(self, metadata: dict[str, Any]) -> bool:
        """True when the record says the directory is this worktree's (or project's)."""
        if self.project is not None:
            return metadata.get("project") == self.project
        if metadata.get("project") is not None:
            return False
        theirs = metadata.get("worktree_id")
        if theirs and theirs == self.worktree_id:
            return True
        if metadata.get("worktree") != self.worktree:
            return False
        if not theirs or metadata.get("gitdir") == self.gitdir:
            return True  # an old record, or our own git directory with its id file lost
        # Another worktree's id at our path: it moved away and this one was made where it
        # was, unless git says it is gone.
        return _git_verdict(str(metadata.get("gitdir") or "")).gone is True

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
    top, gitdir = _git_dirs(here)
    where = top or here
    if project_name is not None:
        if not project_name.strip():
            raise ConfigError("the checkpoint project name is empty")
        return Identity(sanitise(project_name), where, top is not None, project_name)
    name = f"{os.path.basename(os.path.dirname(where))}_{os.path.basename(where)}"
    return Identity(sanitise(name), where, top is not None, None, gitdir,
                    _read_id(gitdir) if gitdir else None)


def _git_dirs(cwd: str) -> tuple[str | None, str | None]:
    """(top level, administrative directory) of the worktree at `cwd`, or (None, None)."""
    from scratchenv import proc

    try:
        result = proc.run(["git", "rev-parse", "--show-toplevel", "--absolute-git-dir"],
                          cwd=cwd, timeout=30)
    except ScratchenvError:  # no git on PATH: the working directory is the identity
        return None, None
    lines = result.stdout.splitlines()
    if not result.ok or len(lines) != 2 or not all(lines):
        return None, None  # not in git, or a bare repository
    return os.path.realpath(lines[0]), os.path.realpath(lines[1])


def _read_id(gitdir: str) -> str | None:
    try:
        with open(os.path.join(gitdir, ID_FILE), encoding="ascii") as handle:
            token = handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return token if _TOKEN.fullmatch(token) else None


def with_worktree_id(identity: Identity) -> Identity:
    """`identity` with an id recorded in its git directory (written now when missing).

    Every rank of a job may get here at once: the id is linked into place, so the first
    one wins and the others read it."""
    if identity.project is not None or identity.gitdir is None or identity.worktree_id:
        return identity
    path = os.path.join(identity.gitdir, ID_FILE)
    staging = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        with open(staging, "x", encoding="ascii") as handle:
            handle.write(secrets.token_hex(16) + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(staging, path)
    except OSError:  # a read-only repository: the path alone identifies it, as before
        return identity
    finally:
        with contextlib.suppress(OSError):
            os.unlink(staging)
    return replace(identity, worktree_id=_read_id(identity.gitdir))


@record
class Location:
    """Where a recorded worktree is now."""

    path: str | None
    """Its current path (the recorded one unless git says it moved); None for a project."""
    gone: bool | None
    """True when it is really gone, None when that cannot be known (no record, a project,
    a parent that cannot be read, a file system not mounted)."""
    why: str = ""
    """Why it is not known (said when keeping it)."""


def locate(metadata: dict[str, Any] | None) -> Location:
    """Where the worktree of a directory's record is now, and whether it is really gone."""
    if metadata is None or metadata.get("project") is not None:
        return Location(None, None)
    recorded = metadata.get("worktree")
    recorded = recorded if isinstance(recorded, str) else None
    if recorded and os.path.isdir(recorded):
        return Location(recorded, False)
    device = metadata.get("parent_device")
    device = device if isinstance(device, int) and not isinstance(device, bool) else None
    gitdir = metadata.get("gitdir")
    if not isinstance(gitdir, str) or not gitdir:
        if recorded is None:
            return Location(None, None)
        gone, why = absence(recorded, device)
        return Location(recorded, gone or None, why)
    verdict = _git_verdict(gitdir)
    if verdict.gone and recorded:  # git's files say so; is the worktree itself provably gone?
        gone, why = absence(recorded, device)
        if gone is not True:
            return Location(recorded, None if gone is None else False, why)
    return Location(verdict.path or recorded, verdict.gone, verdict.why)


def absence(path: str, parent_device: int | None = None) -> tuple[bool | None, str]:
    """True when `path` is provably absent, False when it is there, None (with why) when
    that cannot be seen: its parent unreadable, or on another file system than recorded."""
    try:
        os.lstat(path)
        return False, ""
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as error:
        return None, f"cannot see it ({_strerror(error)})"
    parent = os.path.dirname(path)
    try:
        names = os.listdir(parent)
        device = os.stat(parent).st_dev
    except FileNotFoundError:
        # Absent with its parent: as provable as the parent's absence (the nearest existing
        # ancestor is then read, and must be on the recorded file system).
        return absence(parent, parent_device) if parent != path else (None, "no root")
    except (OSError, ValueError) as error:
        return None, f"cannot read {parent} ({_strerror(error)})"
    if os.path.basename(path) in names:
        return None, "listed by its parent but not reachable"
    if parent_device is not None and device != parent_device:
        return None, f"{parent} is on another file system than before (not mounted?)"
    return True, ""


def _strerror(error: BaseException) -> str:
    return error.strerror if isinstance(error, OSError) and error.strerror else str(error)


def _git_verdict(gitdir: str) -> Location:
    """What git's administrative directory `gitdir` says: where its worktree is, and whether
    `git worktree prune` would drop it."""
    if not gitdir:
        return Location(None, None)
    pointer = os.path.join(gitdir, "gitdir")
    missing, why = absence(pointer)
    if missing is None:
        return Location(None, None, why)
    if missing:
        if os.path.isdir(gitdir) and os.path.basename(gitdir) == ".git":
            return Location(os.path.dirname(gitdir), False)  # a main checkout, still there
        # A main checkout's `.git` went with it; a linked worktree's was pruned.
        gone, why = absence(gitdir) if not os.path.isdir(gitdir) else (True, "")
        return Location(None, gone or None, why)
    if os.path.exists(os.path.join(gitdir, "locked")):
        return Location(None, False)  # `git worktree lock`: git keeps it, so do we
    try:
        with open(pointer, encoding="utf-8", errors="surrogateescape") as handle:
            dot_git = handle.read().strip()
    except OSError:
        return Location(None, None)
    if dot_git and os.path.exists(dot_git):
        return Location(os.path.dirname(os.path.realpath(dot_git)), False)
    gone, why = absence(dot_git) if dot_git else (True, "")
    return Location(None, gone or None, why)
