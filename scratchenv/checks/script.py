"""The static job-script linter: lines that point a managed variable back at home, unset
one, or create or activate a virtual environment inside home.

It reads the script's text only (nothing runs), so it works without an activated
environment: `verify --script`, `checklist --script`, `sbatch` and `lint-scripts` all ask
it, and every one of them treats what it finds as a failure (exit 1).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from scratchenv.checks.findings import Context, Finding
from scratchenv.errors import ConfigError
from scratchenv.realpaths import is_within

_ASSIGNMENT = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)", re.DOTALL)
_COMMENT = re.compile(r"(?:^|\s)#")
_SEPARATORS = frozenset({";", ";;", "&", "&&", "|", "||", "|&", "(", ")", "!", "{", "}",
                         "if", "then", "elif", "else", "do", "while", "until", "time"})
_DECLARES = frozenset({"export", "declare", "typeset", "readonly", "local"})
_PYTHON = re.compile(r"(?:.*/)?python(?:\d+(?:\.\d+)?)?")


@dataclass(frozen=True)
class Problem:
    """One line of a script that undoes the settings, with its one-line fix."""

    line: int
    check: str
    """script.repoints, script.unset or script.venv_in_home."""
    message: str
    fix: str


def read(path: Path) -> str:
    """The script's text; an unreadable script is a usage error."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None


def lint(text: str, *, names: Collection[str], home: str, script_dir: str | None = None,
         venv_var: str = "VENV_PATH") -> list[Problem]:
    """Every problem in `text`. `names`: the managed variables. `script_dir`: where the
    script lives; a relative venv path (`.venv`) is in home when the script is (a checkout
    in home, submitted from there)."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        code = _COMMENT.split(line, maxsplit=1)[0]
        for name, value in _effects(code):
            if name not in names:
                continue
            if value is None:
                problems.append(Problem(number, "script.unset",
                                        f"unsets {name}: the tool falls back to home",
                                        f"keep {name}: drop the unset from line {number}"))
            elif _points_home(value, home) and not _guarded(name, code):
                problems.append(Problem(
                    number, "script.repoints", f"re-points {name} at home: {line.strip()}",
                    f'drop {name}=... from line {number}, or keep your setting: '
                    f'export {name}="${{{name}:-{value}}}"'))
        for what, path in _venvs(code):
            if _in_home(path, home, script_dir):
                problems.append(Problem(
                    number, "script.venv_in_home",
                    f"{what} a virtual environment inside home ({path}): {line.strip()}",
                    _venv_fix(what, venv_var)))
    return problems


def findings(path: Path, *, names: Collection[str], home: str,
             venv_var: str = "VENV_PATH") -> list[Finding]:
    """The script's problems as failing Findings (subject `file:line`), or one pass."""
    script_dir = str(path.resolve().parent)
    problems = lint(read(path), names=names, home=home, script_dir=script_dir,
                    venv_var=venv_var)
    if not problems:
        return [Finding(check="script.repoints", subject=str(path), status="pass",
                        message="no line points a managed variable or a venv at home")]
    return [Finding(check=problem.check, subject=f"{path}:{problem.line}", status="fail",
                    message=problem.message, fix=problem.fix) for problem in problems]


def check_script(ctx: Context) -> list[Finding]:
    """verify's check: the job script given with --script, against the Plan's variables."""
    if ctx.script is None:
        return []
    layout = ctx.settings.project_layout
    return findings(ctx.script, names={change.name for change in ctx.plan.variables},
                    home=ctx.home, venv_var=layout.venv_var if layout else "VENV_PATH")


# --- reading shell ---------------------------------------------------------------------------


def _commands(code: str) -> Iterator[list[str]]:
    """The simple commands of one line of shell (quotes removed, nothing expanded:
    "$HOME"/x is $HOME/x), split at `;`, `&&`, `|`, `if`, ..."""
    lexer = shlex.shlex(code, posix=True, punctuation_chars=True)
    lexer.whitespace_split, lexer.commenters = True, ""
    try:
        words = list(lexer)
    except ValueError:  # an unclosed quote (a string going on to the next line)
        words = code.split()
    command: list[str] = []
    for word in [*words, ";"]:
        if word not in _SEPARATORS:
            command.append(word)
            continue
        if command:
            yield command
        command = []


def _effects(code: str) -> list[tuple[str, str | None]]:
    """(name, value) for each variable a line of shell sets, (name, None) for each it unsets:
    `X=v`, `export/declare/readonly/local X=v`, `X=v cmd`, `env [-u X] X=v cmd`, `unset X`,
    `export -n X`, csh's `setenv X v` and `unsetenv X`, anywhere in `a; b && c`."""
    effects: list[tuple[str, str | None]] = []
    for command in _commands(code):
        at = 0
        while at < len(command) and (assigned := _ASSIGNMENT.fullmatch(command[at])):
            effects.append((assigned["name"], assigned["value"]))
            at += 1
        verb, args = (command[at], command[at + 1:]) if at < len(command) else ("", [])
        flags = [arg for arg in args if arg.startswith(("-", "+"))]
        if verb in _DECLARES:
            unexport = (verb == "export" and "-n" in flags) or "+x" in flags
            for arg in args:
                if (assigned := _ASSIGNMENT.fullmatch(arg)) and not unexport:
                    effects.append((assigned["name"], assigned["value"]))
                elif unexport and not arg.startswith(("-", "+")):
                    effects.append((arg.split("=", 1)[0], None))
        elif verb in ("unset", "unsetenv") and "-f" not in flags:
            effects += [(arg, None) for arg in args if not arg.startswith("-")]
        elif verb == "setenv" and len(args) >= 2:
            effects.append((args[0], args[1]))
        elif verb == "env":
            effects += _env_effects(args)
    return effects


def _env_effects(args: list[str]) -> list[tuple[str, str | None]]:
    """`env [-u NAME | --unset=NAME | -i]... [NAME=VALUE]... [COMMAND]`."""
    effects: list[tuple[str, str | None]] = []
    words = iter(args)
    for word in words:
        if word in ("-u", "--unset"):
            effects.append((next(words, ""), None))
        elif word.startswith("--unset="):
            effects.append((word.split("=", 1)[1], None))
        elif assigned := _ASSIGNMENT.fullmatch(word):
            effects.append((assigned["name"], assigned["value"]))
        elif not word.startswith("-"):
            break  # the command env runs
    return effects


def _venvs(code: str) -> list[tuple[str, str]]:
    """("creates" | "activates", path) for `uv venv [PATH]` (default .venv),
    `python -m venv PATH`, `virtualenv PATH` and `source|. PATH/bin/activate`."""
    found = []
    for command in _commands(code):
        while command and _ASSIGNMENT.fullmatch(command[0]):
            command = command[1:]
        if not command:
            continue
        verb, args = command[0], command[1:]
        positional = [arg for arg in args if not arg.startswith("-")]
        if os.path.basename(verb) == "uv" and args[:1] == ["venv"]:
            found.append(("creates", _first_path(args[1:]) or ".venv"))
        elif _PYTHON.fullmatch(verb) and args[:2] == ["-m", "venv"]:
            path = _first_path(args[2:])
            if path:
                found.append(("creates", path))
        elif os.path.basename(verb) == "virtualenv" and positional:
            found.append(("creates", positional[-1]))
        elif verb in ("source", ".") and positional and positional[0].endswith("/bin/activate"):
            found.append(("activates", positional[0][: -len("/bin/activate")]))
    return found


# uv venv / python -m venv options that take a value (the path is the first other word).
_VALUED = frozenset({"--python", "-p", "--prompt", "--index-url", "--extra-index-url",
                     "--index", "--default-index", "--directory", "--project", "--cache-dir",
                     "--link-mode", "--index-strategy", "--keyring-provider", "--exclude-newer",
                     "--config-file"})


def _first_path(args: list[str]) -> str | None:
    words = iter(args)
    for word in words:
        if word in _VALUED:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _in_home(path: str, home: str, script_dir: str | None) -> bool:
    if _points_home(path, home):
        return True
    if "$" in path or os.path.isabs(path) or path.startswith("~"):
        return False  # somewhere a variable names, or written out outside home
    return script_dir is not None and is_within(script_dir, home)


def _venv_fix(what: str, venv_var: str) -> str:
    venv = f'"${venv_var}"'
    if what == "activates":
        return f"scratchenv bootstrap --venv once, then in the job: source {venv}/bin/activate"
    return (f"create it on scratch: uv venv {venv} (or python -m venv {venv}; "
            "scratchenv bootstrap --venv does it once)")


def _guarded(name: str, code: str) -> bool:
    """`${X:-...}`, `${X:=...}` and `[ -z "$X" ]` keep a value that is already set."""
    return bool(re.search(rf"\$\{{{name}:?[-=]|-z\s+\"?\$\{{?{name}\b", code))


def _points_home(value: str, home: str) -> bool:
    """`$HOME/...`, `${HOME}...`, `~/...`, or a written-out path that really is in home."""
    if re.search(r"\$\{?HOME\b", value) or value == "~" or value.startswith("~/"):
        return True
    return "$" not in value and os.path.isabs(value) and is_within(value, home)
