"""The login fast path: print the path of an up-to-date activation file.

This runs at every login, so the fast path imports only the standard library's cheapest
modules (no pydantic, plumbum or argparse: `python -X importtime -m scratchenv activate`).
Each set of inputs (settings sources, environment, shell, version) has its own file,
named by a checksum of the inputs, whose second line records them in full. When that file
exists and matches, nothing else is done. Otherwise the settings are built and the file is
written in one atomic rename. One file per set of inputs means two logins with different
settings never source each other's file, and writers of one file write the same bytes.
`activate.<shell>` links to the newest file: the last good one, used when settings break.
"""

from __future__ import annotations

import os
import zlib

from scratchenv import __version__
from scratchenv.config.trust import ALLOW_LIST, Untrusted, read_regular
from scratchenv.errors import ScratchenvError
from scratchenv.locations import config_file, site_config_file, state_dir

TYPE_CHECKING = False  # not `typing`: its import costs the login path ~2 ms
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from scratchenv.config.settings import Settings

INPUTS_PREFIX = "# scratchenv-inputs: "
SHELL_NAMES = ("bash", "zsh", "fish", "sh")
# Environment variables that can change the settings (besides SCRATCHENV_*).
_WATCHED = ("HOME", "USER", "LOGNAME", "SCRATCH", "XDG_CONFIG_HOME")


def activation_file(shell: str, environ: Mapping[str, str], key: str) -> str:
    """The file for one set of inputs (`key` from inputs_key)."""
    checksum = zlib.crc32(key.encode("utf-8", "surrogateescape"))
    return os.path.join(state_dir(environ), f"activate-{checksum:08x}.{shell}")


def last_good_file(shell: str, environ: Mapping[str, str]) -> str | None:
    """The newest activation file written for `shell`, if it is still there."""
    link = os.path.join(state_dir(environ), f"activate.{shell}")
    return os.path.realpath(link) if os.path.isfile(link) else None


def default_shell(environ: Mapping[str, str]) -> str:
    """The shell $SHELL names; for any other (dash, ksh, unset in a job) plain POSIX sh,
    which every Bourne-style shell can source."""
    name = os.path.basename(environ.get("SHELL", ""))
    return name if name in SHELL_NAMES else "sh"


def _stat_key(path: str) -> str:
    """A file's mtime and size (enough for the package's own catalogue.toml, which changes
    with an install or an edit in a checkout); a missing file is "-"."""
    try:
        st = os.stat(path)
    except OSError:
        return "-"
    return f"{path}:{st.st_mtime_ns}:{st.st_size}"


def _content_key(path: str) -> str:
    """What a small settings file says, as a checksum (it may hold secrets); "-" when missing.

    Not its mtime: an edit of the same size within one timestamp tick (1 s on some network
    file systems) would leave a stale file in use. Read like the settings read it: a FIFO,
    a device or a huge file (someone else's .env.local) never blocks or fills the login."""
    try:
        found = read_regular(path)
    except Untrusted as reason:
        return f"{path}:refused:{reason}"
    except OSError:
        return "-"
    if found is None:
        return "-"
    data, st = found
    # The owner and mode decide whether it is read at all (trust.py): part of the key.
    return f"{path}:{st.st_uid}:{st.st_mode:o}:{len(data)}:{zlib.crc32(data):08x}"


def inputs_key(shell: str, environ: Mapping[str, str], cwd: str, flags: Sequence[str] = ()) -> str:
    """Everything the generated file depends on, as one line (repr keeps it on one line)."""
    package = os.path.dirname(os.path.dirname(__file__))
    parts = [
        __version__,
        shell,
        *flags,
        # pydantic-settings matches names case-insensitively: scratchenv_root counts too.
        *sorted(f"{k}={v}" for k, v in environ.items() if k.upper().startswith("SCRATCHENV_")),
        *(f"{name}={environ.get(name, '')}" for name in _WATCHED),
        _content_key(config_file(environ)),
        _content_key(site_config_file(environ)),
        _content_key(os.path.join(cwd, ".env.local")),
        _content_key(os.path.join(state_dir(environ), ALLOW_LIST)),  # allow, deny, revoke
        _stat_key(os.path.join(package, "config", "catalogue.toml")),
    ]
    return repr(parts)


def fresh_path(shell: str, environ: Mapping[str, str], cwd: str) -> str | None:
    """The activation file's path if it exists and matches the current inputs."""
    key = inputs_key(shell, environ, cwd)
    path = activation_file(shell, environ, key)
    expected = INPUTS_PREFIX + key + "\n"
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            handle.readline()
            if handle.readline() == expected:
                return path
    except OSError:
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


PRUNE_AFTER_DAYS = 30
"""Files of other inputs not rewritten for this long are removed (remade when needed)."""


def write_activation(
    shell: str, settings: Settings, environ: Mapping[str, str], flags: Sequence[str] = ()
) -> str:
    """Render the plan for `shell` into its inputs' file, atomically; point
    `activate.<shell>` at it; remove files of old inputs.

    `flags` are the command-line settings it was built with: part of the inputs, so a
    file made with `--root X` is not mistaken for the default one."""
    from scratchenv.fsutil import atomic_symlink, atomic_write
    from scratchenv.plan import build_plan
    from scratchenv.shells import renderer

    plan = build_plan(settings)
    key = inputs_key(shell, environ, os.getcwd(), flags)
    text = renderer(shell).render(plan, environ, inputs=INPUTS_PREFIX + key + "\n")
    path = activation_file(shell, environ, key)
    atomic_write(path, text, mode=0o600)
    atomic_symlink(os.path.basename(path), os.path.join(state_dir(environ), f"activate.{shell}"))
    _prune(shell, environ, keep=path)
    return path


def _prune(shell: str, environ: Mapping[str, str], keep: str) -> None:
    import glob
    import time

    cutoff = time.time() - PRUNE_AFTER_DAYS * 86400
    for path in glob.glob(os.path.join(glob.escape(state_dir(environ)), f"activate-*.{shell}")):
        try:
            if path != keep and os.lstat(path).st_mtime < cutoff:
                os.unlink(path)
        except OSError:
            continue  # another login pruned it first
