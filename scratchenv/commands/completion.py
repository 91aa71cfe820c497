"""`scratchenv completion SHELL`: tab completion generated from the argparse parser itself
(by shtab: pure Python, no hook that runs scratchenv at each TAB), so it cannot drift."""

from __future__ import annotations

import argparse

HELP = "print tab completion for bash, zsh, fish or tcsh, generated from the parser"
SHELLS = ("bash", "zsh", "fish", "tcsh")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", metavar="SHELL", choices=SHELLS,
                        help=f"one of {', '.join(SHELLS)}; the README says where each file goes")


def run(args: argparse.Namespace) -> int:
    import shtab

    from scratchenv import output

    output.write(shtab.complete(args.root_parser, shell=args.shell))
    return 0
