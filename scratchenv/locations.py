"""Where a user's files live: home, the config files (user and site), the state directory.

The lowest layer: the standard library only (the login fast path imports it), and every
other module asks here rather than deciding for itself.
"""

from __future__ import annotations

import os
import pwd

from scratchenv.errors import ConfigError

TYPE_CHECKING = False  # not `typing`: its import costs the login path ~2 ms
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping


def home_dir(environ: Mapping[str, str]) -> str:
    """$HOME, or the password database's entry when HOME is unset or empty.

    Not `os.path.expanduser("~")`: with HOME='' it returns "/", and scratchenv would scan
    the whole disk as "home" and write ~/.bashrc as /.bashrc.
    """
    if environ.get("HOME"):
        return environ["HOME"]
    try:
        return pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        raise ConfigError(f"HOME is not set and uid {os.getuid()} has no home directory in "
                          "the password database; set HOME") from None


def current_user() -> str:
    """The user's name: $USER, $LOGNAME, else what getpass.getuser finds ($LNAME, $USERNAME,
    then the password database), without getpass's import (termios) on every start-up."""
    for variable in ("USER", "LOGNAME", "LNAME", "USERNAME"):
        if name := os.environ.get(variable):
            return name
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        raise ConfigError(f"USER is not set and uid {os.getuid()} has no name in the password "
                          "database; set USER") from None


def user_named(uid: int, *, with_uid: bool = True) -> str:
    """Who `uid` is, for a message: "alice (uid 1001)" (or "alice"); "uid 1001" when the
    system does not know it."""
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"
    return f"{name} (uid {uid})" if with_uid else name


def config_file(environ: Mapping[str, str]) -> str:
    """The user's config file: $SCRATCHENV_CONFIG, else the XDG location (settings read it;
    it lives here so that the fast path checks the very file the settings read)."""
    if environ.get("SCRATCHENV_CONFIG"):
        return os.path.expanduser(environ["SCRATCHENV_CONFIG"])
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(home_dir(environ), ".config")
    return os.path.join(base, "scratchenv", "config.toml")


SITE_CONFIG = "/etc/scratchenv/config.toml"


def site_config_file(environ: Mapping[str, str]) -> str:
    """The site's config file, ranked below the user's: $SCRATCHENV_SITE_CONFIG, else
    /etc/scratchenv/config.toml (settings read it; the fast path checks the same file)."""
    return environ.get("SCRATCHENV_SITE_CONFIG") or SITE_CONFIG


def state_dir(environ: Mapping[str, str]) -> str:
    """Where generated files live: small, in home, so sourcing works when scratch is down."""
    if environ.get("SCRATCHENV_STATE_DIR"):
        return environ["SCRATCHENV_STATE_DIR"]
    base = environ.get("XDG_STATE_HOME") or os.path.join(home_dir(environ), ".local", "state")
    return os.path.join(base, "scratchenv")


def document(name: str) -> str:
    """Where one of scratchenv's documents (SECURITY.md, README.md, CHANGELOG.md) is for
    whoever runs this copy: installed with the package, else in the checkout it runs from."""
    package = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(package, "docs", name)
    checkout = os.path.join(os.path.dirname(package), name)
    return checkout if not os.path.exists(installed) and os.path.exists(checkout) else installed


def working_directory() -> str:
    """os.getcwd(), or one clear line when the directory was removed under the shell."""
    try:
        return os.getcwd()
    except FileNotFoundError:
        raise ConfigError("the working directory no longer exists (removed, e.g. a deleted "
                          "worktree?); cd to an existing directory") from None


def up_to_root(path: str) -> Iterator[str]:
    """`path` (absolute) and each directory above it, up to `/`."""
    while True:
        yield path
        parent = os.path.dirname(path)
        if parent == path:
            return
        path = parent


def inside(path: str, parent: str) -> bool:
    """True when `path` is `parent` or below it, as written (both normalised, absolute):
    for places that need not exist, where no symlink can be asked."""
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def below(path: str, parent: str) -> bool:
    """True when `path` is strictly below `parent`, as written (see `inside`)."""
    return path != parent and inside(path, parent)


def tilde(path: str, home: str) -> str:
    """`path` as the user writes it: ~/... when it is in home."""
    if inside(path, home) and path != home:
        return "~/" + path[len(home.rstrip("/")) + 1:]
    return path
