"""The one expected error type: a message meant for the user, not a bug."""

from __future__ import annotations


class ScratchenvError(Exception):
    """A problem the user can fix; the CLI prints it as one line and exits with `exit_code`."""

    exit_code = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class ConfigError(ScratchenvError):
    """Bad settings, config file or command-line input (exit code 2)."""
