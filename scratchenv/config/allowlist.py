""".env.local and the allow-list (direnv's trust model): read only when the user allowed
that very file, by absolute path and content hash (`scratchenv allow`, `deny`, `revoke`), and
never when it is not safe to read. Standard library only."""

from __future__ import annotations

import os

from scratchenv.config.reading import (
    Untrusted,
    check_directory,
    check_file,
    read_owned,
    read_regular,
)
from scratchenv.errors import ConfigError
from scratchenv.locations import state_dir

TYPE_CHECKING = False  # not `typing`: its import costs the login path ~2 ms
if TYPE_CHECKING:
    from collections.abc import Mapping

DOTENV_FILE = ".env.local"
ALLOW_LIST = "allowed"
"""The allow-list's file name in the state dir (JSON: {"allow": {path: sha256}, "deny": [path]})."""


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
    check_directory(os.path.dirname(path), sticky_ok=False)
    return read_owned(path, path, root_ok=False)


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
        check_file(st, path, root_ok=False)
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
