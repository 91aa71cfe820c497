"""Answers already worked out for the same inputs: what `env --format X` printed, kept so
the next run with the same inputs prints it without building the settings again.

The hit path uses the standard library only (no pydantic, no argparse): `python -X
importtime -m scratchenv env --format sh` shows it. An answer is reused only when every
input it came from is unchanged:
- the inputs the login's activation file is keyed on (activate.inputs_key: version,
  SCRATCHENV_* and the other variables the settings read, the config files, .env.local and
  the allow list by content, the catalogue), plus the user's ids, the interpreter and
  install it runs from, and scratchenv's own source files;
- the environment variables the rendering read, by value (all of them when it read all);
- the file system facts the settings were decided from: each root, each place detection
  tried, the node-local directory, with every directory leading to them (owner, mode,
  inode, device, so a replaced, chowned or unmounted directory counts), and which
  directories of the user's the centres' path shapes match.
Anything else (a changed input, an unreadable or foreign cache file) is a miss: the
command runs its validated path and writes the answer again. A cache file is trusted only
when it is the user's alone, in a state directory nobody else can write (SECURITY.md).
"""

from __future__ import annotations

import os
import sys
import zlib

from scratchenv.config.reading import others_can_write, written_file_problem
from scratchenv.config.shapes import entries, own_directories
from scratchenv.errors import ScratchenvError
from scratchenv.locations import state_dir, up_to_root

TYPE_CHECKING = False  # not `typing`: its import costs the fast path ~2 ms
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

MAGIC = "scratchenv-cache 1"
ALL = "*"
"""In an answer's list of variables read: the rendering read the whole environment."""
_FIELD = "\0"  # between a cache file's fields: no path or environment value holds NUL
_ITEM = "\x1e"  # between the items of a list field: a path holding it is never cached


class Answer:
    """What a command printed, and what it read besides the inputs key."""

    __slots__ = ("names", "node_dir", "notice", "paths", "shapes", "stderr", "stdout")

    def __init__(self, stdout: str, *, stderr: Iterable[str] = (), notice: str = "",
                 names: Iterable[str] = (), paths: Iterable[str] = (),
                 shapes: Iterable[str] = (), node_dir: str = "") -> None:
        self.stdout = stdout
        self.stderr = tuple(stderr)
        """Lines said on stderr every time (warnings)."""
        self.notice = notice
        """Said on stderr only when it is a terminal (an unused .env.local)."""
        self.names = tuple(sorted(set(names)))
        self.paths = tuple(sorted(set(paths)))
        self.shapes = tuple(sorted(set(shapes)))
        self.node_dir = node_dir
        """The TaskProlog's node-local directory, with job tokens (job_token) in it."""


# --- the inputs -----------------------------------------------------------------------------


def _package() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _code_identity() -> str:
    """The mtime and size of each of scratchenv's own files, as a checksum: an upgrade or
    an edit in a checkout changes what the answer would be, even at the same version."""
    stamps = []
    stack = [_package()]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        stack.append(entry.path)
                elif entry.name.endswith((".py", ".toml")):
                    st = entry.stat(follow_symlinks=False)
                    stamps.append(f"{entry.path}:{st.st_mtime_ns}:{st.st_size}")
    stamps.sort()
    return f"{len(stamps)}:{zlib.crc32(chr(0).join(stamps).encode('utf-8', 'surrogateescape')):08x}"


def inputs_key(kind: str, environ: Mapping[str, str], cwd: str) -> str:
    """Everything any answer of `kind` depends on, besides what Answer lists."""
    from scratchenv.login.activate import inputs_key as login_inputs

    own = [
        f"uid={os.getuid()}:{os.geteuid()}:{os.getgid()}:{sorted(os.getgroups())}",
        # The venv by its interpreter, not sys.prefix: site sets that, and the TaskProlog's
        # wrapper starts Python without site (its miss runs site: the same key both ways).
        sys.executable, sys.base_prefix, _package(), _code_identity(),
        # current_user's fallbacks (getpass.getuser's), when USER and LOGNAME are unset.
        *(f"{name}={environ.get(name, '')}" for name in ("LNAME", "USERNAME")),
    ]
    return login_inputs(kind, environ, cwd) + repr(own)


def cache_file(kind: str, environ: Mapping[str, str], key: str) -> str:
    checksum = zlib.crc32(key.encode("utf-8", "surrogateescape"))
    return os.path.join(state_dir(environ), "cache", f"{kind}-{checksum:08x}")


# --- facts read again on every hit ------------------------------------------------------------


def _ancestry(path: str) -> Iterator[str]:
    """`path` and every directory above it, then the same for where its symlinks lead."""
    for place in dict.fromkeys((os.path.abspath(path), os.path.realpath(path))):
        yield from up_to_root(place)


def path_facts(paths: Iterable[str]) -> str:
    """What the settings' checks of `paths` read: owner, group, mode, inode and device of
    each path and each directory leading to it ("-" when missing)."""
    facts = []
    for place in dict.fromkeys(p for path in paths for p in _ancestry(path)):
        try:
            st = os.lstat(place)
        except OSError:
            facts.append("-")
            continue
        facts.append(f"{st.st_dev}:{st.st_ino}:{st.st_uid}:{st.st_gid}:{st.st_mode:o}")
    return ",".join(facts)


def shape_facts(shapes: Iterable[str]) -> str:
    return _ITEM.join(f"{shape}={'|'.join(own_directories(shape))}" for shape in shapes)


def values_of(names: Iterable[str], environ: Mapping[str, str]) -> str:
    """The values of `names` ("\\x1f" for unset), or of the whole environment for ALL; for
    a job's variable (`?NAME`, job_token) only whether it is set, empty or not."""
    if ALL in names:
        return repr(sorted(environ.items()))
    return repr([_presence(environ.get(name[1:])) if name.startswith("?")
                 else environ.get(name, "\x1f") for name in names])


def _presence(value: str | None) -> str:
    return "unset" if value is None else "set" if value else "empty"


# --- reading and writing ----------------------------------------------------------------------


def lookup(kind: str, environ: Mapping[str, str], cwd: str) -> Answer | None:
    """The answer for these inputs, or None (then the caller works it out and stores it)."""
    key = inputs_key(kind, environ, cwd)
    path = cache_file(kind, environ, key)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if (written_file_problem(st) is not None or st.st_mode & 0o077
                or others_can_write(os.stat(os.path.dirname(path)))
                or others_can_write(os.stat(state_dir(environ)))):
            return None
        with open(fd, "rb", closefd=False) as handle:
            text = handle.read().decode("utf-8", "surrogateescape")
    finally:
        os.close(fd)
    fields = text.split(_FIELD, 11)
    if len(fields) != 12 or fields[0] != MAGIC or fields[1] != key:
        return None
    _, _, names, values, paths, facts, shapes, matched, node_dir, notice, stderr, stdout = fields
    answer = Answer(stdout, stderr=_items(stderr), notice=notice, names=_items(names),
                    paths=_items(paths), shapes=_items(shapes), node_dir=node_dir)
    if values_of(answer.names, environ) != values:
        return None
    if path_facts(answer.paths) != facts or shape_facts(answer.shapes) != matched:
        return None
    return answer


def _items(field: str) -> list[str]:
    return field.split(_ITEM) if field else []


def store(kind: str, environ: Mapping[str, str], cwd: str, answer: Answer) -> None:
    """Keep `answer` for the inputs read now; an answer that cannot be kept faithfully (a
    path holding the list separator) is not kept. Writes atomically, 0600, in a private
    directory (a state directory that is not the user's raises ScratchenvError)."""
    from scratchenv.fsutil import atomic_write, private_directory

    lists = (answer.names, answer.paths, answer.shapes, answer.stderr)
    if any(_ITEM in item or _FIELD in item for items in lists for item in items):
        return
    if _FIELD in answer.notice or _FIELD in answer.node_dir:
        return
    key = inputs_key(kind, environ, cwd)
    path = cache_file(kind, environ, key)
    fields = [MAGIC, key, _ITEM.join(answer.names), values_of(answer.names, environ),
              _ITEM.join(answer.paths), path_facts(answer.paths),
              _ITEM.join(answer.shapes), shape_facts(answer.shapes), answer.node_dir,
              answer.notice,
              _ITEM.join(answer.stderr), answer.stdout]
    private_directory(state_dir(environ))
    private_directory(os.path.dirname(path))
    atomic_write(path, _FIELD.join(fields), mode=0o600)
    _prune(os.path.dirname(path), keep=path)


PRUNE_AFTER_DAYS = 30


def _prune(directory: str, keep: str) -> None:
    """Answers for inputs not seen for a month go (they are worked out again if needed)."""
    import time

    cutoff = time.time() - PRUNE_AFTER_DAYS * 86400
    for entry in entries(directory):
        try:
            if entry.path != keep and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                os.unlink(entry.path)
        except OSError:
            continue


# --- `env --format X` -------------------------------------------------------------------------


def env_kind(args: Sequence[str]) -> str | None:
    """`env --format X` / `env --format=X` (X not table): the cache's kind; None when the
    command line says more (then argparse and the validated path take it)."""
    from scratchenv.shells.registry import NAMES

    if len(args) == 3 and args[:2] == ["env", "--format"]:
        name = args[2]
    elif len(args) == 2 and args[0] == "env" and args[1].startswith("--format="):
        name = args[1][len("--format="):]
    else:
        return None
    return f"env-{name}" if name in NAMES else None


def env_fast_path(args: Sequence[str], environ: Mapping[str, str]) -> bool:
    """Print `env --format X`'s answer when the cache holds it for these inputs; False
    (nothing printed) otherwise."""
    kind = env_kind(args)
    if kind is None:
        return False
    try:
        answer = lookup(kind, environ, os.getcwd())
    except (OSError, ValueError, ScratchenvError):  # the slow path says what is wrong
        return False
    if answer is None:
        return False
    say(answer)
    return True


def say(answer: Answer) -> None:
    """Print an answer as the command printed it."""
    from scratchenv import output

    if answer.notice and sys.stderr.isatty():
        output.warn(answer.notice)
    for line in answer.stderr:
        output.warn(line)
    output.write(answer.stdout)


# --- the TaskProlog -------------------------------------------------------------------------


def job_token(name: str) -> str:
    """What stands for the job's own value of `name` in a cached TaskProlog answer: the
    node-local directory changes with every job, the rest of the answer does not."""
    return f"\x01scratchenv-job:{name}\x01"


def job_text(answer: Answer, environ: Mapping[str, str]) -> str | None:
    """A cached TaskProlog answer for this job: its values in place of the tokens, once
    the node-local directory is made (or found) the user's alone. None when the validated
    path must answer: a value Slurm cannot carry, a node-local directory that is not the
    user's (it says why)."""
    values = {}
    for name in answer.names:
        if name.startswith("?"):
            value = environ.get(name[1:]) or ""
            if any(char in value for char in "\n\r\0\x01"):
                return None
            values[job_token(name[1:])] = value

    def put(text: str) -> str:
        for token, value in values.items():
            text = text.replace(token, value)
        return text

    if answer.node_dir:
        from scratchenv.fsutil import ensure_private_dir

        if ensure_private_dir(put(answer.node_dir)) is not None:
            return None
    return put(answer.stdout)


def taskprolog_fast_path(environ: Mapping[str, str]) -> bool:
    """Print the TaskProlog's lines from the answer kept for these inputs; False (nothing
    printed) when there is none."""
    try:
        answer = lookup("taskprolog", environ, os.getcwd())
        text = None if answer is None else job_text(answer, environ)
    except Exception:  # noqa: BLE001 - the validated path says what is wrong; the job starts
        return False
    if text is None:
        return False
    from scratchenv import output

    output.write(text)
    return True
