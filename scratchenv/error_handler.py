"""The one place that turns an outcome into an exit code, as pre-commit's error_handler.

0 ok, 1 a check failed or a runtime error, 2 usage or configuration error, 130 interrupted,
3 unexpected (a bug: one line for the user, the traceback saved to a log file).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
from collections.abc import Iterator, Mapping

from scratchenv import output
from scratchenv.errors import ConfigError, Interrupted, ScratchenvError
from scratchenv.fsutil import private_directory
from scratchenv.locations import state_dir

OK, FAILED, USAGE, UNEXPECTED, INTERRUPTED = 0, 1, 2, 3, 130


def exit_code(problem: ScratchenvError) -> int:
    if isinstance(problem, ConfigError):
        return USAGE
    if isinstance(problem, Interrupted):
        return INTERRUPTED
    return FAILED


class Exit(Exception):
    """Carries the exit code out of `handled()`."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@contextlib.contextmanager
def handled(*, debug: bool = False, environ: Mapping[str, str] = os.environ) -> Iterator[None]:
    """Run a command: expected errors become one line and their exit code (raised as Exit)."""
    try:
        yield
    except ScratchenvError as problem:
        output.error(str(problem))
        raise Exit(exit_code(problem)) from None
    except KeyboardInterrupt:
        output.error("interrupted")
        raise Exit(INTERRUPTED) from None
    except BrokenPipeError:
        raise  # main() handles it: the reader left
    except Exception as unexpected:
        if debug:
            raise
        log = save_traceback(environ)
        where = f"; traceback in {log}" if log else ""
        output.error(f"unexpected {type(unexpected).__name__}: {unexpected} "
                     f"(a bug{where}; rerun with --debug)")
        raise Exit(UNEXPECTED) from None


def save_traceback(environ: Mapping[str, str]) -> str | None:
    """Append the current exception's traceback to `<state dir>/crash.log`; its path, or
    None when it cannot be written (the message then says less, never fails)."""
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
