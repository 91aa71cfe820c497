"""The only place that runs other programs (plumbum): argument lists, never shell strings.

Tools run with the Plan's environment applied, so their caches land on scratch too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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


def which(name: str) -> str | None:
    """The absolute path of `name` on PATH, or None."""
    from plumbum import local
    from plumbum.commands.processes import CommandNotFound

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

    `env`: variables set for the child on top of this process's environment
    (e.g. `plan.apply(os.environ)`).
    A missing program or a timeout is a ScratchenvError naming the command.
    """
    from plumbum import local
    from plumbum.commands.processes import CommandNotFound, ProcessTimedOut

    try:
        command = local[argv[0]][list(argv[1:])]
    except CommandNotFound:
        raise ScratchenvError(f"{argv[0]}: command not found") from None
    if env is not None:
        command = command.with_env(**env)
    if cwd is not None:
        command = command.with_cwd(cwd)
    try:
        code, out, err = command.run(retcode=None, timeout=timeout)
    except ProcessTimedOut:
        raise ScratchenvError(f"{' '.join(argv)}: no answer within {timeout}s") from None
    return Result(tuple(argv), code, out, err)
