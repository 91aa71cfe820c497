from __future__ import annotations

import argparse
import os

from scratchenv.shells.registry import LOGIN_SHELLS, login_shell_named

HELP = "add (or with --reverse remove) the activation block in your shell's rc file"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", nargs="?", choices=LOGIN_SHELLS,
                        help="default: from $SHELL")
    parser.add_argument("--reverse", action="store_true", help="remove the block")
    parser.add_argument("--dry-run", action="store_true", help="print the diff, change nothing")


def scratchenv_command() -> list[str]:
    """How this scratchenv was started, by absolute path, for the rc block to call."""
    from scratchenv.install import own_command

    return own_command()


def _login_shell() -> str:
    """$SHELL's name; bash when unset. Another shell would get a block it never reads."""
    value = os.environ.get("SHELL", "") or "bash"
    name = login_shell_named(value)
    if name is None:
        from scratchenv.errors import ConfigError

        raise ConfigError(f"your shell is {os.path.basename(value)} ($SHELL); init writes the "
                          f"rc file of {', '.join(LOGIN_SHELLS)}: name one, e.g. "
                          "`scratchenv init bash`")
    return name


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.login import rcfile

    shell = args.shell or _login_shell()
    path = rcfile.rc_path(shell, os.environ)
    new_block = None if args.reverse else rcfile.block(shell, scratchenv_command())
    backed_up = path.exists()  # install() keeps a backup of a file that was there
    changed, changes = rcfile.install(path, new_block, dry_run=args.dry_run,
                                      where=rcfile.placement(shell))
    if args.dry_run:
        output.write(output.escape(changes or f"{path}: nothing to change\n", lines=True))
    elif not changed:
        output.say(f"{path}: already up to date")
    else:
        backup = f" (backup: {path.name}.scratchenv-backup)" if backed_up else ""
        output.say(f"{path}: {'removed the' if args.reverse else 'wrote the'} scratchenv block"
                   f"{backup}")
    return 0
