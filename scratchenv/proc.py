"""The only place that runs other programs (plumbum): argument lists, never shell strings.

Tools run with the Plan's environment applied, so their caches land on scratch too.
"""

from __future__ import annotations

import _thread
import os

from scratchenv.errors import ScratchenvError
from scratchenv.plain import record

# subprocess and signal are imported where a program runs: verify asks `which` for each
# quota tool, and runs none where there is none.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any

SAFE_CWD = "/"
"""Where probes run: only root can write it, so nothing found there (a json.py that
`python -c` would import, a rust-toolchain.toml rustup would obey) is another user's."""


def python_argv(python: str, *args: str) -> list[str]:
    """`python -I args`: isolated, so neither the working directory (another user's
    json.py), nor PYTHON* variables, nor the user site can put code into it."""
    return [python, "-I", *args]


@record
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def which(name: str, *, env: Mapping[str, str] | None = None) -> str | None:
    """The path of `name` on PATH (of `env`, else of os.environ), or None: what
    shutil.which answers (tests hold them equal). Not shutil: verify asks for each quota
    tool, and shutil's import (fnmatch, re, bz2, lzma) was an eighth of its start-up."""
    if os.path.dirname(name):  # a path: itself or nothing
        return name if _runnable(name) else None
    path = (os.environ if env is None else env).get("PATH", os.defpath)
    candidates = (os.path.join(directory, name) for directory in dict.fromkeys(path.split(":")))
    return next((found for found in candidates if _runnable(found)), None) if path else None


def _runnable(path: str) -> bool:
    return os.access(path, os.X_OK) and not os.path.isdir(path)


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    cwd: str | None = None,
) -> CommandResult:
    """Run `argv` to completion and capture its output; never raises for a non-zero exit.

    `env`: the child's whole environment (e.g. `plan.apply(os.environ)`); default: this
    process's os.environ as it is now. argv[0] is looked up on the PATH of that environment.
    A missing program or a timeout is a ScratchenvError naming the command. On a timeout
    the child's whole process group is killed: a tool's own children would otherwise hold
    the pipes open and the wait would outlast the timeout.
    """
    import subprocess

    process = _popen(argv, env, cwd, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise ScratchenvError(f"{' '.join(argv)}: no answer within {timeout}s") from None
    except BaseException:
        _kill_group(process)
        raise
    return CommandResult(tuple(argv), process.returncode, _text(out), _text(err))


def stream(
    argv: Sequence[str],
    *,
    on_line: Callable[[str], None],
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> CommandResult:
    """Run `argv` to completion, handing each line it prints (stdout or stderr) to `on_line`
    as it comes; never raises for a non-zero exit.

    For installers whose progress the user should watch (bootstrap). Standard input is
    closed, so a tool that unexpectedly prompts fails instead of hanging. The child stays
    in the terminal's process group, so ^C reaches it too. The CommandResult's stdout holds both
    streams' lines in the order they arrived; its stderr is empty.
    """
    import subprocess

    from plumbum.commands.processes import Mode, iter_lines

    process = _popen(argv, env, cwd, stdin=subprocess.DEVNULL)
    lines: list[str] = []
    # retcode=None: no check, the caller decides (plumbum's stubs only allow an int).
    lines_of = iter_lines(process, retcode=None, buffer_size=0,  # type: ignore[call-overload]
                          mode=Mode.BY_TYPE)
    for _, line in lines_of:
        lines.append(line)
        on_line(line)
    process.wait()
    stdout = "".join(f"{line}\n" for line in lines)
    return CommandResult(tuple(argv), process.returncode, stdout, "")


def _popen(
    argv: Sequence[str], env: Mapping[str, str] | None, cwd: str | None, **popen_args: Any
) -> Any:
    """Start `argv` with exactly `env` (default: os.environ now).

    plumbum merges every child's environment over `local.env`, one copy of os.environ
    taken at import and shared by all threads. So for the instant of the spawn, under a
    lock, `local.env` is made exactly the child's environment; the lock is not held while
    the child runs.
    """
    from plumbum import local

    environ = dict(os.environ if env is None else env)
    program = argv[0] if "/" in argv[0] else which(argv[0], env=environ)
    if program is None or not os.access(program, os.X_OK):
        raise ScratchenvError(f"{argv[0]}: command not found")
    command = local[program][list(argv[1:])]
    with _SPAWN_LOCK, local.env():
        local.env.clear()
        local.env.update(environ)
        return command.popen(cwd=cwd, **popen_args)


_SPAWN_LOCK = _thread.allocate_lock()  # not `threading`: verify imports proc at start-up


def start_python(code: str, fds: Mapping[int, int]) -> int:
    """Start this interpreter on `code` in the background, its descriptors `fds` (its
    number: ours) and stderr on /dev/null: its pid, which the caller must wait for.

    Isolated and without site (`-I -S`), so it starts in milliseconds and nothing from the
    working directory or PYTHON* variables runs in it. Not a fork: the caller may have
    threads, and a fork can inherit a lock one of them holds, for ever. Not plumbum: its
    spawn costs as long as the start. SIGINT is blocked in it: ^C reaches the whole process
    group, and only the caller should raise KeyboardInterrupt (one "interrupted" line) and
    end it.
    """
    import signal
    import sys

    argv = python_argv(sys.executable, "-S", "-X", f"utf8={sys.flags.utf8_mode}", "-c", code)
    actions: list[tuple[Any, ...]] = [(os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)]
    actions += [(os.POSIX_SPAWN_DUP2, ours, theirs) for theirs, ours in fds.items()]
    return os.posix_spawn(argv[0], argv, os.environ, file_actions=actions,
                          setsigmask=[signal.SIGINT])


_AFTER_KILL = 5.0
"""Seconds to wait for the pipes after killing a group: a grandchild that left the group
(setsid) may hold them open for ever, so the wait is bounded too."""


def _kill_group(process: Any) -> None:
    import contextlib
    import signal
    import subprocess

    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    try:
        process.communicate(timeout=_AFTER_KILL)
    except subprocess.TimeoutExpired:
        for pipe in (process.stdout, process.stderr):
            with contextlib.suppress(OSError, AttributeError):
                pipe.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=_AFTER_KILL)


def _text(data: bytes | str | None) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return data or ""
