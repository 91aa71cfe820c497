"""The expected errors: messages meant for the user, not bugs.

Library code raises these and never picks an exit code; `error_handler` maps each type to
one (ScratchenvError 1, ConfigError 2, Interrupted 130).
"""

from __future__ import annotations


class ScratchenvError(Exception):
    """Something the user can act on went wrong at run time (cannot delete, a tool failed,
    not enough space): one line on stderr, exit code 1."""


class ConfigError(ScratchenvError):
    """Bad settings, config file or command-line input: exit code 2."""


class Interrupted(ScratchenvError):
    """Stopped by ^C, with what that left behind said in the message: exit code 130."""
