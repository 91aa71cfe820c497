"""The one place that turns an outcome into an exit code, as pre-commit's error_handler.

The codes themselves are written once, in `errors` (0 ok, 1 a check failed or a run-time
error, 2 usage or configuration error, 130 interrupted, 3 unexpected: a bug, one line for the
user and the traceback saved to a log file). `main` runs a command through `run_command`,
and hands what went wrong before a command started (the parser, a fast path) to
`before_command`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping

from scratchenv import output
from scratchenv.errors import INTERRUPTED, OK, UNEXPECTED, USAGE, ScratchenvError
from scratchenv.fsutil import private_directory
from scratchenv.locations import state_dir


def run_command(command: Callable[[], int], *, debug: bool = False,
                environ: Mapping[str, str] = os.environ) -> int:
    """Run a command: its own code, or the code of what it raised (said in one line; a
    bug's traceback goes to a log file, or with `debug` to stderr)."""
    try:
        return int(command())
    except (ScratchenvError, KeyboardInterrupt, BrokenPipeError) as problem:
        return expected(problem)
    except Exception as unexpected:
        if debug:
            import traceback

            traceback.print_exc()
            return UNEXPECTED
        log = save_traceback(environ)
        where = f"; traceback in {log}" if log else ""
        output.error(f"unexpected {type(unexpected).__name__}: {unexpected} "
                     f"(a bug{where}; rerun with --debug)")
        return UNEXPECTED


def before_command(problem: BaseException) -> int:
    """The code of what stopped scratchenv before a command ran; an OSError there is
    standard output failing (argparse's --help, a fast path's one line)."""
    if isinstance(problem, OSError) and not isinstance(problem, BrokenPipeError):
        output.error(f"cannot write to standard output: {problem.strerror}")
        return USAGE
    return expected(problem)


def expected(problem: BaseException) -> int:
    if isinstance(problem, BrokenPipeError):
        return OK  # `scratchenv env | head`: the reader left; nothing more to say
    if isinstance(problem, KeyboardInterrupt):
        output.error("interrupted")
        return INTERRUPTED
    if isinstance(problem, ScratchenvError):
        output.error(str(problem))
        return problem.exit_code
    raise problem


def save_traceback(environ: Mapping[str, str]) -> str | None:
    """Append the current exception's traceback to `<state dir>/crash.log`; its path, or
    None when it cannot be written (the message then says less, never fails)."""
    import time
    import traceback

    try:
        directory = state_dir(environ)
        private_directory(directory)
        path = os.path.join(directory, "crash.log")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
        if os.fstat(fd).st_uid != os.getuid():  # left by another user: write nothing there
            os.close(fd)
            return None
        with os.fdopen(fd, "a", encoding="utf-8", errors="replace") as log:
            log.write(output.escape(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S')} scratchenv "
                                    f"{' '.join(sys.argv[1:])}\n{traceback.format_exc()}",
                                    lines=True))
        return path
    except (OSError, ScratchenvError):
        return None
