"""The expected errors, and the table of exit codes (main and error_handler write no
number of their own; a command's run returns 0, or 1 when a check failed).

Library code raises these and never picks an exit code; `error_handler` turns what a command
raised into one line and the code its type carries.
"""

from __future__ import annotations

# Exit codes (STYLE.md): 0 ok, 1 a check failed or a run-time error, 2 usage or
# configuration error, 3 unexpected (a bug), 130 interrupted (128 + SIGINT, as shells do).
OK = 0
FAILED = 1
USAGE = 2
UNEXPECTED = 3
INTERRUPTED = 130


class ScratchenvError(Exception):
    """Something the user can act on went wrong at run time (cannot delete, a tool failed,
    not enough space): one line on stderr, exit code 1."""

    exit_code = FAILED


class ConfigError(ScratchenvError):
    """Bad settings, config file or command-line input: exit code 2."""

    exit_code = USAGE


class Interrupted(ScratchenvError):
    """Stopped by ^C, with what that left behind said in the message: exit code 130."""

    exit_code = INTERRUPTED
