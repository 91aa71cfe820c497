"""Write the man page, man/scratchenv.1, from the argparse parser (`make man`).

The wheel installs it as share/man/man1/scratchenv.1; tests/test_main.py fails when the
file differs from what the parser gives now, so it cannot drift.
Usage: python tools/manpage.py [OUTPUT]   (default: man/scratchenv.1; - for stdout)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent

EXIT_STATUS = [
    ("0", "all went well"),
    ("1", "a check failed or something could not be done (a read-only root, a tool that "
          "failed)"),
    ("2", "a usage or configuration error"),
    ("3", "a bug: one line says so, the traceback is appended to "
          "~/.local/state/scratchenv/crash.log (--debug shows it instead)"),
    ("130", "interrupted"),
]

FILES = [
    ("~/.config/scratchenv/config.toml", "your settings ($SCRATCHENV_CONFIG, "
                                         "$XDG_CONFIG_HOME/scratchenv/config.toml)"),
    ("/etc/scratchenv/config.toml", "the site's settings"),
    (".env.local", "a checkout's settings, read only once `scratchenv allow` agreed to it"),
    ("~/.local/state/scratchenv/", "the activation files, the allow-list, crash.log"),
]


def roff(text: str) -> str:
    """Text as roff: backslashes and hyphens escaped, no line starting a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join("\\&" + line if line.startswith((".", "'")) else line
                     for line in text.split("\n"))


def options(parser: argparse.ArgumentParser) -> list[str]:
    lines: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
            continue
        if action.option_strings:
            metavar = "" if action.nargs == 0 else " " + (
                action.metavar or action.dest.upper() if not action.choices
                else "{" + ",".join(map(str, action.choices)) + "}")
            name = ", ".join(f"\\fB{roff(o)}\\fR" for o in action.option_strings)
            name += f"\\fI{roff(str(metavar))}\\fR" if metavar else ""
        else:
            name = f"\\fI{roff(str(action.metavar or action.dest))}\\fR"
        lines += [".TP", name, roff(action.help or "")]
    return lines


def subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices.items())
    return []


def usage(parser: argparse.ArgumentParser) -> str:
    return " ".join(parser.format_usage().removeprefix("usage: ").split())


def page(parser: argparse.ArgumentParser, version: str) -> str:
    lines = [
        f'.TH SCRATCHENV 1 "" "scratchenv {version}" "User Commands"',
        ".SH NAME",
        f"scratchenv \\- {roff(parser.description or '')}",
        ".SH SYNOPSIS", ".nf", roff(usage(parser)), ".fi",
        ".SH DESCRIPTION",
        roff("scratchenv points every cache, venv, toolchain and checkpoint a tool would write "
             "under $HOME at your scratch root, from one settings model and one reviewed "
             "catalogue, and checks that it worked. Start with `scratchenv init` and "
             "`scratchenv doctor`."),
        ".SH OPTIONS", *options(parser),
        ".SH COMMANDS",
    ]
    for name, sub in subcommands(parser):
        lines += [".SS " + roff(name), roff(sub.description or ""), ".PP", ".nf",
                  roff(usage(sub)), ".fi"]
        nested = subcommands(sub)
        lines += options(sub)
        for inner, action_parser in nested:
            lines += [".TP", f"\\fB{roff(name)} {roff(inner)}\\fR",
                      roff(action_parser.description or ""), ".RS", ".nf",
                      roff(usage(action_parser)), ".fi", *options(action_parser), ".RE"]
    lines += [".SH EXIT STATUS"]
    for code, meaning in EXIT_STATUS:
        lines += [".TP", f"\\fB{code}\\fR", roff(meaning)]
    lines += [".SH FILES"]
    for path, meaning in FILES:
        lines += [".TP", f"\\fI{roff(path)}\\fR", roff(meaning)]
    lines += [".SH SEE ALSO",
              roff("README.md, SECURITY.md and CHANGELOG.md, installed with the package in "
                   "scratchenv/docs/ (`scratchenv --version` says where the package is). "
                   "Completion: `scratchenv completion bash|zsh|fish|tcsh`."), ""]
    return "\n".join(lines)


def generate() -> str:
    os.environ["COLUMNS"] = "10000"  # usage lines unwrapped, whatever the terminal
    sys.path.insert(0, str(CHECKOUT))
    import scratchenv
    from scratchenv.main import build_parser

    return page(build_parser(), scratchenv.__version__)


def main() -> int:
    target = sys.argv[1] if len(sys.argv) > 1 else str(CHECKOUT / "man" / "scratchenv.1")
    text = generate()
    if target == "-":
        sys.stdout.write(text)
    else:
        Path(target).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
