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
from scratchenv.config.allowlist import allow_list_path
from scratchenv.config.hosts import fitting_patterns
from scratchenv.config.reading import (
    Untrusted,
    others_can_write,
    read_regular,
    written_file_problem,
)
from scratchenv.errors import ScratchenvError
from scratchenv.locations import config_file, site_config_file, state_dir, working_directory
from scratchenv.shells.registry import COMPANIONS, LOGIN_SHELLS, companion, login_shell_named

TYPE_CHECKING = False  # not `typing`: its import costs the login path ~2 ms
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from scratchenv.plan import Plan
    from scratchenv.shells.base import Freshness, HomeWatch

INPUTS_PREFIX = "# scratchenv-inputs: "
SHELL_NAMES = LOGIN_SHELLS
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
    return login_shell_named(environ.get("SHELL", "")) or "sh"


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


def _profile_variables() -> list[str]:
    """The variables profiles read as `{env[NAME]}` ($WORK): a changed $WORK is a new file.
    Found by splitting, not parsing (no tomllib or re on the login path)."""
    profiles = os.path.join(os.path.dirname(_package_files()[1]), "profiles.toml")
    try:
        with open(profiles, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return []
    values = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return sorted({part.split("]", 1)[0] for part in values.split("{env[")[1:]})


def _centre_variables() -> list[str]:
    """The variables centres.toml recognises a centre by or takes a root from ($PSCRATCH,
    $WORK): a login where one appears or changes is a new file. Upper-case words of its
    recognise/scratch/persistent lines, found by splitting (nothing heavy on the login path)."""
    centres = os.path.join(os.path.dirname(_package_files()[1]), "centres.toml")
    try:
        with open(centres, encoding="utf-8") as handle:
            lines = [line for line in handle
                     if line.startswith(("recognise", "scratch", "persistent"))]
    except OSError:
        return []
    text = "".join(lines)
    # One translate, not a loop over every character: this runs before every job's task.
    spaces = {ord(c): " " for c in set(text) if not (c.isalnum() or c == "_")}
    words = text.translate(spaces).split()
    return sorted({w for w in words if w.isupper() and w[0].isalpha() and len(w) > 1})


def _watched() -> list[str]:
    """The environment variables besides SCRATCHENV_* that the settings read."""
    extra = {*_profile_variables(), *_centre_variables()} - set(_WATCHED)
    return [*_WATCHED, *sorted(extra)]


def _package_files() -> tuple[str, str]:
    """The installed package's version file and catalogue: an upgrade or an edit rewrites them."""
    package = os.path.dirname(os.path.dirname(__file__))
    return os.path.join(package, "__init__.py"), os.path.join(package, "config", "catalogue.toml")


def _inputs(shell: str, environ: Mapping[str, str], cwd: str, flags: Sequence[str]) -> list[str]:
    """Everything the generated file depends on. The item after the flags is the user's
    config file's (fallback_file relies on that)."""
    return [
        __version__,
        shell,
        *flags,
        _content_key(config_file(environ)),
        # pydantic-settings matches names case-insensitively: scratchenv_root counts too.
        *sorted(f"{k}={v}" for k, v in environ.items() if k.upper().startswith("SCRATCHENV_")),
        *(f"{name}={environ.get(name, '')}" for name in _watched()),
        _content_key(site_config_file(environ)),
        _content_key(os.path.join(cwd, ".env.local")),
        _content_key(allow_list_path(environ)),
        _stat_key(_package_files()[1]),
        # A centre recognised by host name (centres.toml `hosts`) changes the settings.
        "hosts=" + fitting_patterns(os.path.join(os.path.dirname(_package_files()[1]),
                                                 "centres.toml")),
    ]


def inputs_key(shell: str, environ: Mapping[str, str], cwd: str, flags: Sequence[str] = ()) -> str:
    """Everything the generated file depends on, as one line (repr keeps it on one line)."""
    return repr(_inputs(shell, environ, cwd, flags))


def fresh_path(shell: str, environ: Mapping[str, str], cwd: str) -> str | None:
    """The activation file's path if it exists and matches the current inputs."""
    key = inputs_key(shell, environ, cwd)
    path = activation_file(shell, environ, key)
    expected = INPUTS_PREFIX + key + "\n"
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            if not _sourceable(handle.fileno(), environ):
                return None  # the slow path rewrites it in a private directory
            handle.readline()
            if handle.readline() != expected:
                return None
    except OSError:
        return None
    if not all(os.path.exists(companion(path, part)) for part in COMPANIONS[shell]):
        return None  # someone removed one: written again
    _settle_mtime(path, _watched_files(environ, cwd))
    return path


def _sourceable(fd: int, environ: Mapping[str, str]) -> bool:
    """Whether the open activation file may be sourced: the user's alone, in a state
    directory nobody else can write (else a group member could swap it before the login)."""
    if written_file_problem(os.fstat(fd)) is not None:
        return False
    return not others_can_write(os.stat(state_dir(environ)))


MTIME_MARGIN_NS = 20_000_000
"""An activation file's mtime is set this far before its inputs were read: file timestamps
come from a coarse clock, and an input edited after the read must test newer (`-nt`)."""


def _watched_files(environ: Mapping[str, str], cwd: str) -> list[str]:
    """The files whose being newer makes the activation file stale, as the shell checks."""
    return [config_file(environ), site_config_file(environ),
            allow_list_path(environ),
            *_package_files(), os.path.join(cwd, ".env.local")]


def _settle_mtime(path: str, watched: Sequence[str]) -> None:
    """A file fresh by content but older than an input (touched, or edited in the same
    clock tick it was written) would send every login to Python: move its mtime on."""
    try:
        mtime = os.stat(path).st_mtime_ns
        if any(_mtime(other) >= mtime for other in watched):
            import time

            stamp = time.time_ns() - MTIME_MARGIN_NS
            os.utime(path, ns=(stamp, stamp))
    except OSError:
        return


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


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
    shell: str, plan: Plan, environ: Mapping[str, str], flags: Sequence[str] = ()
) -> str:
    """Render `plan` for `shell` into its inputs' file, atomically; point
    `activate.<shell>` at it; remove files of old inputs.

    `flags` are the command-line settings it was built with: part of the inputs, so a
    file made with `--root X` is not mistaken for the default one."""
    import time

    from scratchenv.fsutil import atomic_symlink, atomic_write, private_directory
    from scratchenv.shells import shell_renderer

    started = time.time_ns() - MTIME_MARGIN_NS
    cwd = working_directory()
    key = inputs_key(shell, environ, cwd, flags)
    path = activation_file(shell, environ, key)
    # Only a file made without command-line flags may be picked up at login.
    check = None if flags else _freshness(path, environ, cwd)
    renderer = shell_renderer(shell)
    text = renderer.render(plan, environ, inputs=INPUTS_PREFIX + key + "\n",
                           freshness=check, path=path, watch=_home_watch(plan, environ),
                           split=True)
    private_directory(state_dir(environ))  # made (or closed again) only when all went well
    # The companions first: the file that sources them never names a missing one.
    for beside, beside_text in renderer.companions(plan, path).items():
        atomic_write(beside, beside_text, mode=0o600)
    atomic_write(path, text, mode=0o600)
    os.utime(path, ns=(started, started))
    if not flags:
        atomic_symlink(os.path.basename(path),
                       os.path.join(state_dir(environ), f"activate.{shell}"))
    _prune(shell, environ, keep=path)
    return path


def _home_watch(plan: Plan, environ: Mapping[str, str]) -> HomeWatch | None:
    """What the login says about home, and how it starts the next look (home/looks.py)."""
    from scratchenv.install import own_command
    from scratchenv.shells.base import HomeWatch

    if not plan.login.warn:
        return None
    return HomeWatch(file=os.path.join(state_dir(environ), "home-watch"),
                     refresh=(*own_command(), "status", "--home", "--background"))


def _freshness(path: str, environ: Mapping[str, str], cwd: str) -> Freshness:
    """What the file checks at login: the variables the settings read, and the files."""
    import re

    from scratchenv.config.settings import Settings
    from scratchenv.shells.base import Freshness

    names = {f"SCRATCHENV_{field.upper()}" for field in Settings.model_fields}
    names |= {"SCRATCHENV_CONFIG", "SCRATCHENV_SITE_CONFIG", "SCRATCHENV_STATE_DIR"}
    names |= {k for k in environ if k.upper().startswith("SCRATCHENV_")}
    shell_names = sorted(n for n in names if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n))
    variables = tuple((name, environ.get(name)) for name in [*shell_names, *_watched()])
    *files, env_local = _watched_files(environ, cwd)
    env_local_dir = None
    if os.path.exists(env_local):
        logical = environ.get("PWD", "")
        same = bool(logical) and os.path.isdir(logical) and os.path.samefile(logical, cwd)
        env_local_dir = logical if same else cwd
    return Freshness(path=path, variables=variables,
                     files=tuple((name, os.path.exists(name)) for name in files),
                     env_local_dir=env_local_dir)


def fallback_file(shell: str, environ: Mapping[str, str], flags: Sequence[str] = ()) -> str | None:
    """The last good file, if it was made from these very inputs but for the config file:
    a broken config keeps the environment it gave; other settings never get another's."""
    import ast

    stale = last_good_file(shell, environ)
    if stale is None:
        return None
    now = _inputs(shell, environ, os.getcwd(), flags)
    try:
        with open(stale, encoding="utf-8", errors="surrogateescape") as handle:
            if not _sourceable(handle.fileno(), environ):
                return None
            handle.readline()
            line = handle.readline()
        then = ast.literal_eval(line[len(INPUTS_PREFIX):]) if line.startswith(INPUTS_PREFIX) else []
    except (OSError, ValueError, SyntaxError):
        return None
    config = 2 + len(flags)  # the config file's item in _inputs
    if not isinstance(then, list) or len(then) != len(now):
        return None
    if then[:config] + then[config + 1:] != now[:config] + now[config + 1:]:
        return None
    return stale


def _prune(shell: str, environ: Mapping[str, str], keep: str) -> None:
    import glob
    import time

    cutoff = time.time() - PRUNE_AFTER_DAYS * 86400
    directory = glob.escape(state_dir(environ))
    parts = [f".{part}" for part in COMPANIONS[shell]]
    found = glob.glob(os.path.join(directory, f"activate-*.{shell}*"))
    # Decided before anything goes: a file's companions go with it.
    doomed = []
    for path in found:
        main = next((path[: -len(part)] for part in parts if path.endswith(part)), path)
        if main == keep or not main.endswith(f".{shell}"):
            continue  # ours, or another writer's temporary file
        try:
            # A companion whose file is gone already goes once it is as old.
            if os.lstat(main if os.path.lexists(main) else path).st_mtime < cutoff:
                doomed.append(path)
        except OSError:
            continue  # another login pruned it first
    for path in doomed:
        try:
            os.unlink(path)
        except OSError:
            continue  # another login pruned it first
