"""The login fast path: print the path of an up-to-date activation file.

This runs at every login, so the fast path imports only the standard library's cheapest
modules (no pydantic, plumbum or rich: `python -X importtime -m scratchenv activate`).
The file's second line records the inputs it was generated from; when they still match,
nothing else is done. Otherwise the settings are built and the file is rewritten in one
atomic rename, so concurrent logins each see a whole file.
"""

from __future__ import annotations

import os
import pwd

from scratchenv import __version__
from scratchenv.errors import ConfigError, ScratchenvError

TYPE_CHECKING = False  # not `typing`: its import costs the login path ~2 ms
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

INPUTS_PREFIX = "# scratchenv-inputs: "
SHELL_NAMES = ("bash", "zsh", "fish", "sh")
# Environment variables that can change the settings (besides SCRATCHENV_*).
_WATCHED = ("HOME", "USER", "LOGNAME", "SCRATCH", "XDG_CONFIG_HOME")


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


def state_dir(environ: Mapping[str, str]) -> str:
    """Where generated files live: small, in home, so sourcing works when scratch is down."""
    if environ.get("SCRATCHENV_STATE_DIR"):
        return environ["SCRATCHENV_STATE_DIR"]
    base = environ.get("XDG_STATE_HOME") or os.path.join(home_dir(environ), ".local", "state")
    return os.path.join(base, "scratchenv")


def activation_file(shell: str, environ: Mapping[str, str]) -> str:
    return os.path.join(state_dir(environ), f"activate.{shell}")


def default_shell(environ: Mapping[str, str]) -> str:
    name = os.path.basename(environ.get("SHELL", ""))
    return name if name in SHELL_NAMES else "bash"


def _stat_key(path: str) -> str:
    """Identity of a file's content; a missing file is "-" wherever it would have been."""
    try:
        st = os.stat(path)
    except OSError:
        return "-"
    return f"{path}:{st.st_mtime_ns}:{st.st_size}"


def inputs_key(shell: str, environ: Mapping[str, str], cwd: str, flags: Sequence[str] = ()) -> str:
    """Everything the generated file depends on, as one line (repr keeps it on one line).

    Mirrors settings.config_path() without importing pydantic."""
    config = environ.get("SCRATCHENV_CONFIG") or os.path.join(
        environ.get("XDG_CONFIG_HOME")
        or os.path.join(home_dir(environ), ".config"),
        "scratchenv",
        "config.toml",
    )
    package = os.path.dirname(__file__)
    parts = [
        __version__,
        shell,
        *flags,
        *sorted(f"{k}={v}" for k, v in environ.items() if k.startswith("SCRATCHENV_")),
        *(f"{name}={environ.get(name, '')}" for name in _WATCHED),
        _stat_key(os.path.expanduser(config)),
        _stat_key(os.path.join(cwd, ".env.local")),
        _stat_key(os.path.join(package, "catalogue.toml")),
    ]
    return repr(parts)


def fresh_path(shell: str, environ: Mapping[str, str], cwd: str) -> str | None:
    """The activation file's path if it exists and matches the current inputs."""
    path = activation_file(shell, environ)
    expected = INPUTS_PREFIX + inputs_key(shell, environ, cwd) + "\n"
    try:
        with open(path, encoding="utf-8") as handle:
            handle.readline()
            if handle.readline() == expected:
                return path
    except (OSError, UnicodeDecodeError):
        return None
    return None


def parse_fast_args(args: Sequence[str]) -> str | None:
    """`--shell NAME` / `--shell=NAME` / nothing; None when argparse must take over."""
    if not args:
        return ""
    if len(args) == 2 and args[0] == "--shell" and args[1] in SHELL_NAMES:
        return args[1]
    if len(args) == 1 and args[0].startswith("--shell=") and args[0][8:] in SHELL_NAMES:
        return args[0][8:]
    return None


def fast_path(args: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """The up-to-date file's path without importing anything heavy, or None."""
    shell = parse_fast_args(args)
    if shell is None:
        return None
    try:
        cwd = os.getcwd()
        return fresh_path(shell or default_shell(environ), environ, cwd)
    except (OSError, ScratchenvError):  # the slow path says what is wrong
        return None


def write_activation(
    shell: str, settings: object, environ: Mapping[str, str], flags: Sequence[str] = ()
) -> str:
    """Render the plan for `shell` and replace the activation file atomically.

    `flags` are the command-line settings it was built with: part of the inputs, so a
    file made with `--root X` is not mistaken for the default one."""
    from scratchenv.fsutil import atomic_write
    from scratchenv.plan import build_plan
    from scratchenv.shells import renderer

    plan = build_plan(settings)  # type: ignore[arg-type]
    inputs = INPUTS_PREFIX + inputs_key(shell, environ, os.getcwd(), flags) + "\n"
    text = renderer(shell).render(plan, environ, inputs=inputs)
    path = activation_file(shell, environ)
    atomic_write(path, text, mode=0o600)
    return path
