"""One module per subcommand: `HELP`, `configure(parser)`, `run(args) -> int`.

Commands are thin: they read flags, call the library, and hand results to `output`.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not `typing`: verify's fast path does without it
if TYPE_CHECKING:
    import argparse

    from scratchenv.config.settings import Settings
    from scratchenv.plan import Plan


GLOBAL_FLAGS = ("root", "project", "config")
"""The global flags that change the settings (main's parser defines them)."""


def flags_given(args: argparse.Namespace) -> dict[str, str]:
    """The global flags given on the command line, by name: the one place they are read."""
    return {name: value for name in GLOBAL_FLAGS if (value := getattr(args, name, None))}


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings, with the global flags as the highest-priority source."""
    from scratchenv.config.settings import load_settings
    from scratchenv.errors import ConfigError

    flags = flags_given(args)
    # A typo in --config must not quietly mean "no config" (SCRATCHENV_CONFIG may).
    if "config" in flags and not os.path.exists(os.path.expanduser(flags["config"])):
        raise ConfigError(f"--config {flags['config']}: no such file")
    settings = load_settings(**flags)
    _say_ignored_dotenv()
    return settings


def plan_from(args: argparse.Namespace, *, keep: bool = True) -> Plan:
    """The Plan for the settings: rebuilt from the one kept for these very inputs while
    none changed (login/resolution.py: no pydantic), else built from validated settings and
    kept (unless `keep` is False: a command that must leave home as it was). Global flags
    always build (they are not among the kept inputs)."""
    from scratchenv.login import resolution
    from scratchenv.plan import build_plan

    try:
        cwd = None if flags_given(args) else os.getcwd()
    except OSError:
        cwd = None
    if cwd is not None:
        plan = resolution.recalled(os.environ, cwd)
        if plan is not None:
            _say_ignored_dotenv()
            return plan
    settings = settings_from(args)
    plan = build_plan(settings)
    if cwd is not None and keep:
        resolution.keep(settings, plan, os.environ, cwd)
    return plan


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
    return [f"--{name}={value}" for name, value in flags_given(args).items()]


def consent_flags(parser: argparse.ArgumentParser, verb: str) -> None:
    """`--apply` and `--yes`, alike in every command that deletes or moves."""
    parser.add_argument("--apply", action="store_true", help=f"{verb} (default: a dry run)")
    parser.add_argument("--yes", action="store_true", help="with --apply: do not ask")


def go_ahead(args: argparse.Namespace, question: str, *, needs_yes: str | None = None) -> bool:
    """The one consent policy of the commands that delete or move: True to act.

    Without --apply: a dry run (and `--yes` alone is said to do nothing). With --apply on a
    terminal: ask `question` unless --yes; a no is exit 1 with nothing changed. With --apply
    and no terminal to ask on: act, unless `needs_yes` says why this one needs --yes
    (then exit 2, nothing changed)."""
    from scratchenv import output
    from scratchenv.errors import ConfigError, ScratchenvError

    if not args.apply:
        if args.yes:
            output.say("note: --yes only skips the question; --apply acts")
        return False
    if args.yes:
        return True
    if output.interactive():
        if output.confirm(question):
            return True
        raise ScratchenvError("not confirmed: nothing changed")
    if needs_yes is not None:
        raise ConfigError(f"{needs_yes}; add --yes to confirm (no terminal to ask on)")
    return True
