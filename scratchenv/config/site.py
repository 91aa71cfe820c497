"""The site config: defaults an HPC centre sets for every user, ranked below the user's own.

`/etc/scratchenv/config.toml`, or the file `$SCRATCHENV_SITE_CONFIG` names, with the same
keys as the user's config (root_pattern, profile, purge, thresholds, disable, ...). A file
every user's settings obey must be one only the centre (root) or the user can change.
"""

from __future__ import annotations

import os

from scratchenv.config import trust
from scratchenv.errors import ConfigError
from scratchenv.locations import site_config_file

ENV_VAR = "SCRATCHENV_SITE_CONFIG"


def usable_site_config() -> str:
    """The site config's path for the settings to read (a missing default file reads as
    empty); a ConfigError when it is named but missing, not a file, or not trustworthy."""
    path = site_config_file(os.environ)
    named = bool(os.environ.get(ENV_VAR))
    if not os.path.exists(path):
        if named:
            raise ConfigError(f"site config {path} ({ENV_VAR}) does not exist")
        return path
    trust.check_config(path, "site config")  # owned by root or you, nobody else can write
    return path
