"""The site config: defaults an HPC centre sets for every user, ranked below the user's own.

`/etc/scratchenv/config.toml`, or the file `$SCRATCHENV_SITE_CONFIG` names, with the same
keys as the user's config (root_pattern, profile, purge, thresholds, disable, ...). A file
every user's settings obey must be one only the centre (root) or the user can change.
"""

from __future__ import annotations

import os
import stat

from scratchenv.errors import ConfigError
from scratchenv.locations import site_config_file

ENV_VAR = "SCRATCHENV_SITE_CONFIG"


def trust_problem(path: str) -> str | None:
    """Why `path` must not be trusted as settings, or None. Minimal on purpose: owned by
    root or by the user, and writable by nobody else (neither group nor others)."""
    st = os.stat(path)
    if st.st_uid not in (0, os.getuid()):
        return f"it is owned by uid {st.st_uid}, neither root nor you"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"others can write it (mode {stat.S_IMODE(st.st_mode):04o}); chmod go-w it"
    return None


def usable_site_config() -> str:
    """The site config's path for the settings to read (a missing default file reads as
    empty); a ConfigError when it is named but missing, not a file, or not trustworthy."""
    path = site_config_file(os.environ)
    named = bool(os.environ.get(ENV_VAR))
    if not os.path.exists(path):
        if named:
            raise ConfigError(f"site config {path} ({ENV_VAR}) does not exist")
        return path
    if not os.path.isfile(path):
        raise ConfigError(f"site config {path} is not a file")
    problem = trust_problem(path)
    if problem:
        raise ConfigError(f"site config {path} refused: {problem}")
    return path
