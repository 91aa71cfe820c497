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

Each job has its module: reading.py (reading safely), allowlist.py (`.env.local`),
traversal.py (who can change a path); this one reads config files and names them all.
Standard library only: the login fast path reads through `read_regular`.
"""

from __future__ import annotations

import os

from scratchenv.config.allowlist import (  # noqa: F401 (the trust API, named in one place)
    ALLOW_LIST,
    DOTENV_FILE,
    DotEnv,
    allow,
    allow_list_path,
    content_hash,
    deny,
    dotenv,
    dotenv_key,
    load_allow_list,
    read_dotenv_file,
    revoke,
)
from scratchenv.config.reading import (  # noqa: F401
    MAX_BYTES,
    Untrusted,
    check_directory,
    others_can_write,
    read_owned,
    read_regular,
    read_written,
    read_written_dict,
    written_file_problem,
)
from scratchenv.config.traversal import link_problem, replaceable_link, root_problem  # noqa: F401
from scratchenv.errors import ConfigError


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
    check_directory(os.path.dirname(given), sticky_ok=True)
    problem = link_problem(given)
    if problem is not None:
        raise Untrusted(problem)
    real = os.path.realpath(given)
    if real != given:  # a symlink: where it leads must be as safe as where it is
        check_directory(os.path.dirname(real), sticky_ok=True)
    return read_owned(real, path, root_ok=True)
