"""What scratchenv agrees to read, and from whom (SECURITY.md is the user's version).

- Only regular files, at most MAX_BYTES, opened without blocking (a FIFO, /dev/zero or a
  100 MB file never hangs or fills a login): `read_regular`.
- Config files (the user's, the site's): owned by the user or root, writable by nobody
  else, in a directory nobody else can write (a sticky one like /tmp is fine, since nobody
  else can replace a file there); a symlink is judged by where it leads: `read_config`.
- `.env.local` (direnv's trust model): read only when the user allowed that very file, by
  absolute path and content hash, in the allow-list in the state dir (`scratchenv allow`,
  `deny`, `revoke`); and never, even when allowed, when it is not the user's, is group- or
  world-writable, is a symlink, or sits in a directory another user can write: `dotenv`.
- A scratch root on a path that another user can change: `root_problem`.

Standard library only: the login fast path reads through `read_regular`.
"""

from __future__ import annotations

import os
import stat

from scratchenv.errors import ConfigError
from scratchenv.locations import state_dir, user_named

TYPE_CHECKING = False  # not `typing`: its import costs the login path ~2 ms
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

MAX_BYTES = 1024 * 1024
"""The largest settings file scratchenv reads (config, site config, .env.local)."""
DOTENV_FILE = ".env.local"
ALLOW_LIST = "allowed"
"""The allow-list's file name in the state dir (JSON: {"allow": {path: sha256}, "deny": [path]})."""
_OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH


class Untrusted(ValueError):
    """Why a file or directory is not read: a reason for one line."""


def read_regular(path: str, *, limit: int = MAX_BYTES, nofollow: bool = False
                 ) -> tuple[bytes, os.stat_result] | None:
    """The content and status of the regular file `path`, or None when there is none.

    Opened with O_NONBLOCK, then judged by fstat of what was opened: a FIFO or a device
    is refused before any read could block, and nothing larger than `limit` is read.
    Raises Untrusted with the reason.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (os.O_NOFOLLOW if nofollow else 0)
    try:
        fd = os.open(path, flags)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        if nofollow and os.path.islink(path):
            raise Untrusted("it is a symlink") from None
        raise Untrusted(error.strerror or str(error)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Untrusted("it is not a regular file")
        if st.st_size > limit:
            raise Untrusted(f"it is larger than {_size(limit)}")
        chunks = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise Untrusted(f"it is larger than {_size(limit)}")
        return data, st
    finally:
        os.close(fd)


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"



def others_can_write(st: os.stat_result) -> bool:
    """Whether someone other than the user (and root) can change what is in it."""
    return st.st_uid not in (os.getuid(), 0) or bool(st.st_mode & _OTHERS_WRITE)


def written_file_problem(st: os.stat_result) -> str | None:
    """Why a file scratchenv wrote for later (an activation file, a journal, a record),
    with status `st`, must not be trusted: not the user's, others can write it, or it has
    a second name (a hard link from a place others can reach)."""
    if st.st_uid != os.getuid():
        return f"it belongs to {user_named(st.st_uid)}, not you"
    if st.st_mode & _OTHERS_WRITE:
        return f"others can write it (mode {stat.S_IMODE(st.st_mode):04o})"
    if st.st_nlink > 1 and stat.S_ISREG(st.st_mode):
        return "it has another name (a hard link)"
    return None


def read_written(path: str | os.PathLike[str]) -> bytes | None:
    """A file scratchenv wrote earlier and now trusts (a journal, a worktree record): its
    bytes, or None when it is missing, not a regular file, or someone else could have
    written it (`written_file_problem`): such a file is ignored, as if it were not there."""
    try:
        found = read_regular(os.fspath(path), nofollow=True)
    except Untrusted:
        return None
    if found is None or written_file_problem(found[1]) is not None:
        return None
    return found[0]


def _check_directory(directory: str, *, sticky_ok: bool) -> None:
    try:
        st = os.stat(directory)
    except OSError as error:
        raise Untrusted(f"cannot look at {directory}: {error.strerror}") from None
    if st.st_uid not in (os.getuid(), 0):
        raise Untrusted(f"it is in {directory}, which belongs to {user_named(st.st_uid)}")
    if st.st_mode & _OTHERS_WRITE and not (sticky_ok and st.st_mode & stat.S_ISVTX):
        raise Untrusted(f"it is in {directory}, which others can write "
                        f"(mode {stat.S_IMODE(st.st_mode):04o})")


def _check_file(st: os.stat_result, path: str, *, root_ok: bool) -> None:
    owners = (os.getuid(), 0) if root_ok else (os.getuid(),)
    if st.st_uid not in owners:
        whom = "neither you nor root" if root_ok else "not you"
        raise Untrusted(f"it belongs to {user_named(st.st_uid)}, {whom}")
    if st.st_mode & _OTHERS_WRITE:
        raise Untrusted(f"others can write it (mode {stat.S_IMODE(st.st_mode):04o}; "
                        f"chmod go-w {path})")


# --- config files ---------------------------------------------------------------------------


def read_config(path: str, what: str = "config") -> bytes | None:
    """A config file's bytes (None when there is none); ConfigError, one line, when it is
    not a file only the user or root can change (`what` names it: "config", "site config")."""
    try:
        return _read_config(path)
    except Untrusted as reason:
        raise ConfigError(f"{what} {path} refused: {reason}") from None


def check_config(path: str, what: str = "config") -> None:
    """Raise ConfigError when the config file `path` exists but must not be trusted."""
    read_config(path, what)


def _read_config(path: str) -> bytes | None:
    if not os.path.lexists(path):
        return None
    given = os.path.abspath(path)
    _check_directory(os.path.dirname(given), sticky_ok=True)
    problem = link_problem(given)
    if problem is not None:
        raise Untrusted(problem)
    real = os.path.realpath(given)
    if real != given:  # a symlink: where it leads must be as safe as where it is
        _check_directory(os.path.dirname(real), sticky_ok=True)
    return _read_owned(real, path, root_ok=True)


def _read_owned(path: str, shown: str, *, root_ok: bool) -> bytes | None:
    """The bytes of the regular file `path` (named `shown` in errors), None when there is
    none; Untrusted when someone else can change it (root may own it with `root_ok`)."""
    found = read_regular(path, nofollow=True)
    if found is None:
        return None
    data, st = found
    _check_file(st, shown, root_ok=root_ok)
    return data


# --- .env.local and the allow-list ----------------------------------------------------------


def dotenv_key(path: str) -> str:
    """The name `.env.local` is allowed under: absolute, its directory's symlinks resolved
    (a directory argument means its .env.local)."""
    path = os.path.abspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, DOTENV_FILE)
    return os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))


def read_dotenv_file(path: str) -> bytes | None:
    """A .env.local's bytes if it is safe to read at all (Untrusted otherwise), None when
    there is none. Being allowed is a separate question (`dotenv`)."""
    _check_directory(os.path.dirname(path), sticky_ok=False)
    return _read_owned(path, path, root_ok=False)


def content_hash(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def allow_list_path(environ: Mapping[str, str]) -> str:
    return os.path.join(state_dir(environ), ALLOW_LIST)


def load_allow_list(environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """{"allow": {path: sha256}, "deny": {path: ""}}; empty when missing or not the user's."""
    import json

    empty: dict[str, dict[str, str]] = {"allow": {}, "deny": {}}
    path = allow_list_path(environ)
    try:
        found = read_regular(path, nofollow=True)
        if found is None:
            return empty
        data, st = found
        _check_file(st, path, root_ok=False)
        loaded = json.loads(data)
    except (Untrusted, ValueError):
        return empty  # a list the user did not write allows nothing
    if not isinstance(loaded, dict):
        return empty
    result = empty
    for kind in ("allow", "deny"):
        entries = loaded.get(kind)
        if isinstance(entries, dict):
            result[kind] = {str(k): str(v) for k, v in entries.items()}
    return result


def _save_allow_list(environ: Mapping[str, str], data: dict[str, dict[str, str]]) -> None:
    import json

    from scratchenv.fsutil import atomic_write, private_directory

    private_directory(state_dir(environ))
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    atomic_write(allow_list_path(environ), text.encode("utf-8", "surrogateescape"), mode=0o600)


def allow(path: str, environ: Mapping[str, str]) -> str:
    """Allow the .env.local at `path` as it is now; its absolute path. ConfigError when
    there is none or it is not safe to read."""
    key = dotenv_key(path)
    try:
        data = read_dotenv_file(key)
    except Untrusted as reason:
        raise ConfigError(f"{key} cannot be allowed: {reason}") from None
    if data is None:
        raise ConfigError(f"{key}: no such file")
    allowed = load_allow_list(environ)
    allowed["allow"][key] = content_hash(data)
    allowed["deny"].pop(key, None)
    _save_allow_list(environ, allowed)
    return key


def deny(path: str, environ: Mapping[str, str]) -> str:
    """Never read the .env.local at `path` (whatever it says later), and say nothing of it."""
    key = dotenv_key(path)
    allowed = load_allow_list(environ)
    allowed["allow"].pop(key, None)
    allowed["deny"][key] = ""
    _save_allow_list(environ, allowed)
    return key


def revoke(path: str, environ: Mapping[str, str]) -> tuple[str, bool]:
    """Forget the .env.local at `path`: not read again until allowed. (key, whether it was
    allowed or denied)."""
    key = dotenv_key(path)
    allowed = load_allow_list(environ)
    known = allowed["allow"].pop(key, None) is not None
    known = allowed["deny"].pop(key, None) is not None or known
    if known:
        _save_allow_list(environ, allowed)
    return key, known


class DotEnv:
    """The working directory's .env.local as the settings see it."""

    __slots__ = ("notice", "path", "text", "unsafe")

    def __init__(self, path: str, text: str | None = None, notice: str | None = None,
                 unsafe: bool = False) -> None:
        self.path = path
        self.text = text
        """What it says, when it may be used."""
        self.notice = notice
        """Why it is there but not used (None when used, missing or denied)."""
        self.unsafe = unsafe
        """Not used because it is not safe to read at all (not just not allowed yet)."""


def dotenv(cwd: str | None, environ: Mapping[str, str]) -> DotEnv:
    """The .env.local in `cwd` (default: the working directory): its text only if the user
    allowed it as it is and it is safe to read; otherwise why not (nothing when missing or
    denied, or when the working directory is gone)."""
    if cwd is None:
        try:
            cwd = os.getcwd()
        except FileNotFoundError:  # a removed directory has no .env.local
            return DotEnv(DOTENV_FILE)
    key = dotenv_key(os.path.join(cwd, DOTENV_FILE))
    if not os.path.lexists(key):
        return DotEnv(key)
    allowed = load_allow_list(environ)
    if key in allowed["deny"]:
        return DotEnv(key)
    try:
        data = read_dotenv_file(key)
    except Untrusted as reason:
        return DotEnv(key, notice=f"{key} ignored: {reason}", unsafe=True)
    if data is None:
        return DotEnv(key)
    digest = allowed["allow"].get(key)
    if digest is None:
        return DotEnv(key, notice=f"{key} ignored: not allowed; read it, then "
                                  "`scratchenv allow` (or `scratchenv deny`)")
    if digest != content_hash(data):
        return DotEnv(key, notice=f"{key} ignored: it changed since you allowed it; read "
                                  "it, then `scratchenv allow` again")
    try:
        return DotEnv(key, text=data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ConfigError(f"cannot read settings: {key} is not UTF-8 text (byte "
                          f"{data[error.start]:#04x} at offset {error.start})") from None


# --- the scratch root -----------------------------------------------------------------------


def _traversal(path: str, links: list[str] | None = None
               ) -> Iterator[tuple[str, os.stat_result | None, os.stat_result, bool]]:
    """Each directory the kernel passes through to reach `path`, symlinks followed:
    (path, its lstat or None when missing, its parent's lstat, whether it is the last).
    Each symlink on the way that others could replace (repoint) is added to `links`."""
    pending = [part for part in path.split("/") if part]
    current, current_st = "/", os.lstat("/")
    hops = 0
    while pending:
        name = pending.pop(0)
        if name == ".":
            continue
        if name == "..":
            current = os.path.dirname(current)
            current_st = os.lstat(current)
            continue
        candidate = os.path.join(current, name)
        try:
            st = os.lstat(candidate)
        except (FileNotFoundError, NotADirectoryError):
            yield candidate, None, current_st, not pending
            return
        if stat.S_ISLNK(st.st_mode):
            if links is not None and _replaceable(st, current_st):
                links.append(candidate)
            hops += 1
            if hops > 40:
                raise Untrusted(f"{path}: too many levels of symlinks")
            target = os.readlink(candidate)
            if target.startswith("/"):
                current, current_st = "/", os.lstat("/")
            pending = [part for part in target.split("/") if part] + pending
            continue
        yield candidate, st, current_st, not pending
        if not stat.S_ISDIR(st.st_mode):
            return
        current, current_st = candidate, st


def root_problem(root: str) -> str | None:
    """Why `root` is on a path another user can change, or None.

    Refused: a root inside a directory another user can write (world- or group-writable,
    or owned by someone else), unless an existing directory of the user's with mode 0700
    leads to it, in a place nobody else can rename it (a sticky or private parent). A root
    that does not exist yet under such a directory could be made by anyone first.
    """
    exposed: str | None = None
    links: list[str] = []
    try:
        for path, st, parent, last in _traversal(root, links):
            if links:
                return f"{root}: {_through(links[0])}"
            if st is None:
                if exposed is not None:
                    return (f"{root} does not exist and {exposed} on the way is writable by "
                            f"others (anyone could create it first); create a directory of "
                            f"yours with mode 0700 to hold it: mkdir -m 700 DIR")
                return None
            if last:
                break
            if others_can_write(st):
                exposed = path
            elif (exposed is not None and st.st_uid == os.getuid()
                  and not st.st_mode & (stat.S_IRWXG | stat.S_IRWXO)
                  and _cannot_be_renamed_by_others(parent)):
                exposed = None
    except (OSError, Untrusted) as error:
        return f"cannot follow the path to {root}: {error}"
    if exposed is not None:
        return (f"{root} is inside {exposed}, which others can write (they could replace what "
                f"leads to it); put it under a directory of yours with mode 0700")
    return None


def _replaceable(entry: os.stat_result, parent: os.stat_result) -> bool:
    """Whether someone else could remove `entry` from `parent` and put another in its place:
    the parent is writable by others, unless it is sticky and both it and the entry are the
    user's or root's (then only they may rename or remove the entry)."""
    if not others_can_write(parent):
        return False
    mine = (os.getuid(), 0)
    return not (parent.st_mode & stat.S_ISVTX and parent.st_uid in mine
                and entry.st_uid in mine)


def replaceable_link(path: str) -> str | None:
    """The first symlink on the way to `path` (its own name included) that someone else
    could repoint, or None: a path through it is a path others can change."""
    links: list[str] = []
    try:
        for _ in _traversal(os.path.abspath(path), links):
            if links:
                break
    except (OSError, Untrusted):
        return None  # the callers' own checks say what is wrong
    return links[0] if links else None


def link_problem(path: str) -> str | None:
    """One line on why `path` is reached through a symlink others could repoint, or None."""
    link = replaceable_link(path)
    return None if link is None else _through(link)


def _through(link: str) -> str:
    return (f"it is reached through the symlink {link}, which others could repoint "
            f"({os.path.dirname(link)} is writable by others); use the real path")


def _cannot_be_renamed_by_others(parent: os.stat_result) -> bool:
    """Entries of `parent` stay put: nobody else may write it, or it is sticky and its
    owner is the user or root."""
    if not others_can_write(parent):
        return True
    return bool(parent.st_mode & stat.S_ISVTX) and parent.st_uid in (os.getuid(), 0)
