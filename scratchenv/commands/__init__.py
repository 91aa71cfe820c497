"""One module per subcommand: `HELP`, `configure(parser)`, `run(args) -> int`.

Commands are thin: they read flags, call the library, and hand results to `output`.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scratchenv.settings import Settings


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings, with the global flags as the highest-priority source."""
    from scratchenv.settings import load_settings

    if getattr(args, "config", None):
        if not os.path.lexists(os.path.expanduser(args.config)):
            from scratchenv.errors import ConfigError

            # Unlike $SCRATCHENV_CONFIG (unset or missing: no config), a flag is a typo.
            raise ConfigError(f"--config {args.config}: no such file")
        os.environ["SCRATCHENV_CONFIG"] = args.config
    return load_settings(root=args.root, project=args.project)


def global_flags(args: argparse.Namespace) -> list[str]:
    """The global flags that change the settings, as text (part of activation's inputs)."""
    return [f"--{name}={getattr(args, name)}" for name in ("root", "project", "config")
            if getattr(args, name, None)]
