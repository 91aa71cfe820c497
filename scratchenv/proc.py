"""The only place that runs other programs (plumbum): argument lists, never shell strings.

Tools run with the Plan's environment applied, so their caches land on scratch too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from scratchenv.errors import ScratchenvError


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def which(name: str, *, env: Mapping[str, str] | None = None) -> str | None:
    """The absolute path of `name` on PATH (of `env`, else of os.environ), or None."""
    from plumbum import local
    from plumbum.commands.processes import CommandNotFound

    with _environment(env):
        try:
            return str(local.which(name))
        except CommandNotFound:
            return None


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    cwd: str | None = None,
) -> Result:
    """Run `argv` to completion and capture its output; never raises for a non-zero exit.

    `env`: the child's whole environment (e.g. `plan.apply(os.environ)`); default: this
    process's os.environ as it is now. argv[0] is looked up on the PATH of that environment.
    A missing program or a timeout is a ScratchenvError naming the command.
    """
    from plumbum.commands.processes import ProcessTimedOut

    try:
        with _environment(env):
            code, out, err = _command(argv, cwd).run(retcode=None, timeout=timeout)
    except ProcessTimedOut:
        raise ScratchenvError(f"{' '.join(argv)}: no answer within {timeout}s") from None
    return Result(tuple(argv), code, out, err)


def stream(
    argv: Sequence[str],
    *,
    on_line: Callable[[str], None],
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> Result:
    """Run `argv` to completion, handing each line it prints (stdout or stderr) to `on_line`
    as it comes; never raises for a non-zero exit.

    For installers whose progress the user should watch (bootstrap). Standard input is
    closed, so a tool that unexpectedly prompts fails instead of hanging. The Result's
    stdout holds both streams' lines in the order they arrived; its stderr is empty.
    """
    import subprocess

    from plumbum.commands.processes import Mode, iter_lines

    with _environment(env):
        process = _command(argv, cwd).popen(stdin=subprocess.DEVNULL)
    lines: list[str] = []
    # retcode=None: no check, the caller decides (plumbum's stubs only allow an int).
    lines_of = iter_lines(process, retcode=None, buffer_size=0,  # type: ignore[call-overload]
                          mode=Mode.BY_TYPE)
    for _, line in lines_of:
        lines.append(line)
        on_line(line)
    process.wait()
    return Result(tuple(argv), process.returncode, "".join(f"{line}\n" for line in lines), "")


def _command(argv: Sequence[str], cwd: str | None) -> Any:
    from plumbum import local
    from plumbum.commands.processes import CommandNotFound

    try:
        command: Any = local[argv[0]][list(argv[1:])]
    except CommandNotFound:
        raise ScratchenvError(f"{argv[0]}: command not found") from None
    return command if cwd is None else command.with_cwd(cwd)


@contextmanager
def _environment(env: Mapping[str, str] | None) -> Iterator[None]:
    """Make plumbum's environment exactly `env` (default: os.environ now) for the block.

    plumbum copies os.environ once, at import, and merges `with_env` on top of that copy:
    later changes to os.environ (monkeypatched HOME, a variable removed) would not reach
    the child, and a removed variable would leak back in.
    """
    from plumbum import local

    with local.env():
        local.env.clear()
        local.env.update(os.environ if env is None else env)
        yield
