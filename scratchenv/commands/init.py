from __future__ import annotations

import argparse
import os
import sys

HELP = "add (or with --reverse remove) the activation block in your shell's rc file"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", nargs="?", choices=("bash", "zsh", "fish"),
                        help="default: from $SHELL")
    parser.add_argument("--reverse", action="store_true", help="remove the block")
    parser.add_argument("--dry-run", action="store_true", help="print the diff, change nothing")


def scratchenv_command() -> list[str]:
    """How this scratchenv was started, by absolute path, for the rc block to call."""
    script = os.path.abspath(sys.argv[0])
    if os.path.basename(script) == "scratchenv" and os.access(script, os.X_OK):
        return [script]
    return [sys.executable, "-m", "scratchenv"]


def _login_shell() -> str:
    """$SHELL's name; bash when unset. Another shell would get a block it never reads."""
    name = os.path.basename(os.environ.get("SHELL", "")) or "bash"
    if name not in ("bash", "zsh", "fish"):
        from scratchenv.errors import ConfigError

        raise ConfigError(f"your shell is {name} ($SHELL); init writes the rc file of bash, "
                              "zsh or fish: name one, e.g. `scratchenv init bash`")
    return name


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.login import rcfile

    shell = args.shell or _login_shell()
    path = rcfile.rc_path(shell, os.environ)
    new_block = None if args.reverse else rcfile.block(shell, scratchenv_command())
    changed, changes = rcfile.install(path, new_block, dry_run=args.dry_run)
    if args.dry_run:
        output.write(changes or f"{path}: nothing to change\n")
    elif not changed:
        output.say(f"{path}: already up to date")
    else:
        output.say(f"{path}: {'removed the' if args.reverse else 'wrote the'} scratchenv block"
                   f" (backup: {path.name}.scratchenv-backup)")
    return 0
