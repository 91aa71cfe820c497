"""One module per subcommand: `HELP`, `configure(parser)`, `run(args) -> int`.

Commands are thin: they read flags, call the library, and hand results to `output`.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scratchenv.config.settings import Settings


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings, with the global flags as the highest-priority source."""
    from scratchenv.config.settings import load_settings
    from scratchenv.errors import ConfigError

    if getattr(args, "config", None):
        # A typo in --config must not quietly mean "no config" (SCRATCHENV_CONFIG may).
        if not os.path.exists(os.path.expanduser(args.config)):
            raise ConfigError(f"--config {args.config}: no such file")
        os.environ["SCRATCHENV_CONFIG"] = args.config
    settings = load_settings(root=args.root, project=args.project)
    _say_ignored_dotenv()
    return settings


def _say_ignored_dotenv() -> None:
    """A .env.local here that is not used, said on a terminal (never into a job's log or
    a non-interactive login); `verify` reports it too."""
    import sys

    from scratchenv import output
    from scratchenv.config import trust

    if not sys.stderr.isatty():
        return
    try:
        notice = trust.dotenv(None, os.environ).notice
    except (OSError, ValueError):
        return
    if notice:
        output.warn(notice)


def global_flags(args: argparse.Namespace) -> list[str]:
    """The global flags that change the settings, as text (part of activation's inputs)."""
    return [f"--{name}={getattr(args, name)}" for name in ("root", "project", "config")
            if getattr(args, name, None)]
