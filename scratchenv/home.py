"""The user's home directory, the same for every module (cheap: the login path uses it)."""

from __future__ import annotations

import os
import pwd

from scratchenv.errors import ConfigError

TYPE_CHECKING = False  # not `typing`: its import costs the login path ~2 ms
if TYPE_CHECKING:
    from collections.abc import Mapping


def home_dir(environ: Mapping[str, str] | None = None) -> str:
    """$HOME, or the password database's entry when HOME is unset or empty.

    Not `os.path.expanduser("~")`: with HOME='' it returns "/", and scratchenv would scan
    the whole disk as "home" and write ~/.bashrc as /.bashrc.
    """
    env = os.environ if environ is None else environ
    if env.get("HOME"):
        return env["HOME"]
    try:
        return pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        raise ConfigError(f"HOME is not set and uid {os.getuid()} has no home directory in "
                          "the password database; set HOME") from None
