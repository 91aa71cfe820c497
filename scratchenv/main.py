"""The command line: an argparse tree that dispatches to `scratchenv.commands.<name>`.

Each command module has `HELP`, `configure(parser)` and `run(args) -> int`; importing one
is cheap (heavy imports live inside functions). `activate` first tries its fast path,
before argparse is even imported, because it runs at every login.
"""

from __future__ import annotations

import os
import sys

from scratchenv.errors import OK, ConfigError, ScratchenvError

TYPE_CHECKING = False  # not `typing`: its import costs the login path ~2 ms
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import NoReturn

# Subcommand name -> module under scratchenv.commands, in the order `--help` lists them.
COMMANDS = {
    "activate": "activate",
    "env": "env",
    "init": "init",
    "allow": "allow",
    "deny": "deny",
    "revoke": "revoke",
    "catalogue": "catalogue",
    "bootstrap": "bootstrap",
    "link-venv": "link_venv",
    "checkpoints": "checkpoints",
    "verify": "verify",
    "checklist": "checklist",
    "status": "status",
    "check-space": "check_space",
    "template": "template",
    "sbatch": "sbatch",
    "taskprolog": "taskprolog",
    "lint-scripts": "lint_scripts",
    "doctor": "doctor",
    "migrate": "migrate",
    "clean": "clean",
    "completion": "completion",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole tree, or with `only` (a command name) just that command's subparser: the
    other command modules are not imported (`main` passes the command it was given)."""
    import importlib

    _Version = _version_action()
    parser = _parser_class()(
        prog="scratchenv",
        description="Keep every cache, venv, toolchain and checkpoint on scratch, not in $HOME.",
    )
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="show the version, where it runs from and its Python")
    parser.add_argument("--root", help="scratch root (default: SCRATCHENV_ROOT, config, detected)")
    parser.add_argument("--project", help="project name, e.g. nanochat (SCRATCHENV_PROJECT)")
    parser.add_argument("--config", help="config file (SCRATCHENV_CONFIG)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(f"scratchenv.commands.{module_name}")
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.configure(command)
        command.set_defaults(run=module.run)
    parser.set_defaults(root_parser=parser)  # for `completion`, generated from it
    return parser


_VALUE_FLAGS = ("--root", "--project", "--config")


def _named_command(args_list: list[str]) -> str | None:
    """The command the line names, when it is certain (only whole global flags before it);
    None otherwise, and for `completion`, which generates from the whole tree."""
    words = iter(args_list)
    for word in words:
        if word in _VALUE_FLAGS:
            next(words, None)
        elif word == "--debug" or word.startswith(tuple(f"{flag}=" for flag in _VALUE_FLAGS)):
            continue
        elif word in COMMANDS and word != "completion":
            return word
        else:  # --help, --version, an abbreviated flag, a typo: the whole parser answers
            return None
    return None


# The argparse subclasses are made on demand: the activate fast path never imports argparse.
def _version_action() -> type:
    import argparse

    class Version(argparse.Action):
        """argparse's own version action rewraps the line to the terminal's width."""

        def __call__(self, parser, namespace, values, option_string=None):  # noqa: ANN001
            sys.stdout.write(version_line() + "\n")
            parser.exit()

    return Version


def _parser_class() -> type[argparse.ArgumentParser]:
    import argparse

    class Parser(argparse.ArgumentParser):
        """argparse that answers a typo with the nearest command, flag or choice (exit 2):
        `scratchenv stauts` -> did you mean status?"""

        def parse_known_args(self, args=None, namespace=None):  # noqa: ANN001
            self._words = list(sys.argv[1:] if args is None else args)
            return super().parse_known_args(args, namespace)

        def error(self, message: str) -> NoReturn:
            import difflib
            import re

            choice = re.fullmatch(r"(argument \S+: invalid choice: '(.*)') \(choose from (.*)\)",
                                  message, re.DOTALL)
            if choice:
                given, options = choice[2], re.findall(r"'([^']*)'", choice[3])
                near = difflib.get_close_matches(given, options, n=1)
                message = choice[1] + (f"; did you mean {near[0]}?" if near else
                                       f" (choose from {', '.join(options)})")
            elif message.startswith("unrecognized arguments: "):
                near = [hint for word in message.split(": ", 1)[1].split()
                        if (hint := self._nearest_option(word))]
                message += "".join(f"; did you mean {hint}?" for hint in near)
            super().error(message)

        def _nearest_option(self, word: str) -> str | None:
            if not word.startswith("--"):
                return None
            import difflib

            flag = word.split("=", 1)[0]
            options = list(self._option_string_actions)
            for action in self._actions:  # and the options of the command that was named
                if isinstance(action, argparse._SubParsersAction):
                    named = [w for w in getattr(self, "_words", []) if w in action.choices]
                    if named:
                        options += list(action.choices[named[0]]._option_string_actions)
            near = difflib.get_close_matches(flag, [o for o in options if o.startswith("--")],
                                             n=1)
            return near[0] if near else None

    return Parser


def version_line() -> str:
    """`scratchenv 0.1.0 from <package dir> (Python 3.11.2, <interpreter>)`: which copy runs."""
    import platform

    import scratchenv

    where = os.path.dirname(os.path.abspath(scratchenv.__file__))
    return (f"scratchenv {scratchenv.__version__} from {where} "
            f"(Python {platform.python_version()}, {sys.executable})")


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if sys.stderr is None:
        # Started with 2>&-: messages go nowhere but the exit code stays right (an error
        # printer that fails turns 2 into 1), and no file opened later becomes fd 2.
        fd = os.open(os.devnull, os.O_WRONLY)
        if fd != 2:
            os.dup2(fd, 2)
            os.close(fd)
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115 (for the whole run)
    try:
        if sys.stdout is None:  # started with >&-: fail before doing anything, not halfway
            raise ConfigError("standard output is closed; redirect it to /dev/null to "
                              "discard it")
        _unbuffered_stdout()
        return _main(args_list)
    except (ScratchenvError, KeyboardInterrupt, OSError) as problem:
        from scratchenv.error_handler import before_command

        return before_command(problem)


def _unbuffered_stdout() -> None:
    real = sys.__stdout__
    if real is not None and sys.stdout is real:
        # Unbuffered, so a failing stdout (a reader that left, a full disk) fails at the
        # write, where it is handled, not in the flush at exit (a 2-line complaint, exit 120).
        # surrogateescape: a path that is not UTF-8 prints as its bytes, whatever the locale.
        import io

        sys.stdout = io.TextIOWrapper(io.FileIO(real.fileno(), "w", closefd=False),
                                      encoding=real.encoding, errors="surrogateescape",
                                      write_through=True)


def _main(args_list: list[str]) -> int:
    if args_list[:1] == ["activate"]:
        from scratchenv.login.activate import fast_path

        path = fast_path(args_list[1:], os.environ)
        if path is not None:
            sys.stdout.write(path + "\n")
            return OK
    if args_list[:1] == ["env"]:  # the answer kept for the same inputs (login/cache.py)
        from scratchenv.login.cache import env_fast_path

        if env_fast_path(args_list, os.environ):
            return OK

    if args_list == ["taskprolog"]:
        # Before every task of every job: the answer kept for these inputs, else without
        # building the whole parser (it imports every command); it never fails, so no
        # error handler either.
        from scratchenv.login.cache import taskprolog_fast_path

        if taskprolog_fast_path(os.environ):
            return OK
        import argparse

        from scratchenv.commands import taskprolog

        return taskprolog.run(argparse.Namespace(root=None, project=None, config=None))

    from scratchenv.error_handler import run_command

    if args_list == ["verify"]:  # by hand, after a login: no parser to build for no flag
        from scratchenv.commands import verify

        return run_command(lambda: verify.run(verify.alone()))
    args = build_parser(_named_command(args_list)).parse_args(args_list)
    return run_command(lambda: args.run(args), debug=args.debug)
