"""The static job-script linter: lines that point a managed variable back at home, unset
one, or create or activate a virtual environment inside home.

It reads the script's text only (nothing runs), so it works without an activated
environment: `verify --script`, `checklist --script`, `sbatch` and `lint-scripts` all ask
it. A failure (exit 1) is a line that surely undoes the settings; a warning ("cannot
tell") is a line whose effect only the running shell knows (`eval $x`, `source` of a file
that cannot be read here, a value a command substitution makes); `--strict` makes those
failures too. The job's own guard (`scratchenv sbatch --guard`) checks at run time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from scratchenv.checks import effects as fx
from scratchenv.checks.findings import Context, Finding
from scratchenv.checks.shellwords import Word, commands
from scratchenv.checks.shellwords import word as one_word
from scratchenv.errors import ConfigError
from scratchenv.plain import record, replace
from scratchenv.realpaths import is_within

if TYPE_CHECKING:
    from scratchenv.plan import Plan

_PYTHON = re.compile(r"(?:.*/)?python(?:\d+(?:\.\d+)?)?")
_HOME_PARAM = re.compile(r"\$\{?HOME\b|[:=-]~(?:/|}|$)")
_MAX_DEPTH = 4
Verdict = Literal["home", "unknown", "ok"]


@record
class Problem:
    """One line of a script that undoes the settings, with its one-line fix."""

    line: int
    check: str
    """script.repoints, script.unset, script.venv_in_home or script.cannot_tell."""
    message: str
    fix: str
    severity: Literal["fail", "warn"] = "fail"
    """warn: cannot tell statically (a failure under --strict)."""


def read(path: Path) -> str:
    """The script's text; an unreadable script is a usage error."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None


def lint(text: str, *, names: Collection[str], home: str, script_dir: str | None = None,
         venv_var: str = "VENV_PATH", _depth: int = 0) -> list[Problem]:
    """Every problem in `text`. `names`: the managed variables. `script_dir`: where the
    script lives; a relative venv path (`.venv`) is in home when the script is (a checkout
    in home, submitted from there), and a relative `source`d file is read from there."""
    lines = text.splitlines()
    problems: list[Problem] = []
    for command in commands(text):
        source = lines[command.line - 1].strip() if command.line <= len(lines) else ""
        reading = fx.read(command.words)
        for effect in reading.effects:
            said = lines[effect.line - 1].strip() if 0 < effect.line <= len(lines) else source
            problems += _judge(effect, said, names=names, home=home,
                               script_dir=script_dir, venv_var=venv_var, depth=_depth)
        for what, path in _venvs([w.text for w in reading.runs]):
            if _in_home(path, home, script_dir):
                problems.append(Problem(
                    command.line, "script.venv_in_home",
                    f"{what} a virtual environment inside home ({path}): {source}",
                    _venv_fix(what, venv_var)))
    return problems


def assignment_problem(name: str, value: str, *, line: int, source: str,
                       home: str) -> Problem | None:
    """The problem with NAME=VALUE given outside a script (`--export=ALL,NAME=VALUE`)."""
    effect = fx.Effect("set", name, (one_word(value),), line=line)
    found = _judge(effect, source, names={name}, home=home, script_dir=None,
                   venv_var="VENV_PATH", depth=_MAX_DEPTH)
    return found[0] if found else None


def findings(path: Path, *, names: Collection[str], home: str, venv_var: str = "VENV_PATH",
             strict: bool = False) -> list[Finding]:
    """The script's problems as Findings (subject `file:line`), or one pass; a warning
    fails under `strict`."""
    script_dir = str(path.resolve().parent)
    problems = lint(read(path), names=names, home=home, script_dir=script_dir,
                    venv_var=venv_var)
    return problem_findings(problems, str(path), strict=strict)


def problem_findings(problems: list[Problem], subject: str, *,
                     strict: bool = False) -> list[Finding]:
    """Problems as Findings (subject `SUBJECT:line`), or one pass for SUBJECT."""
    if not problems:
        return [Finding(check="script.repoints", subject=subject, status="pass",
                        message="no line points a managed variable or a venv at home")]
    return [Finding(check=problem.check, subject=f"{subject}:{problem.line}",
                    status="fail" if strict or problem.severity == "fail" else "warn",
                    message=problem.message, fix=problem.fix) for problem in problems]


def managed_names(plan: Plan) -> list[str]:
    """The variables the gate and the run-time guard watch: every one the Plan sets, but
    those it pins in home itself (the Hugging Face token)."""
    return [change.name for change in plan.variables if change.root != plan.home]


def check_script(ctx: Context) -> list[Finding]:
    """verify's check: the job script given with --script, against the Plan's variables."""
    if ctx.script is None:
        return []
    layout = ctx.plan.project_layout
    return findings(ctx.script, names=managed_names(ctx.plan),
                    home=ctx.home, venv_var=layout.venv_var if layout else "VENV_PATH",
                    strict=ctx.strict)


# --- judging what a command does ---------------------------------------------------------


def _judge(effect: fx.Effect, source: str, *, names: Collection[str], home: str,
           script_dir: str | None, venv_var: str, depth: int) -> list[Problem]:
    line, name = effect.line, effect.name
    if effect.kind == "set" and name is not None and name in names:
        verdict = _worst(_points(value, name, home) for value in effect.values)
        shown = " ".join(value.text for value in effect.values)
        if verdict == "home" and not _tested_empty(name, source):
            return [Problem(line, "script.repoints", f"re-points {name} at home: {source}",
                            f"drop {name}=... from line {line}, or keep your setting: "
                            f'export {name}="${{{name}:-{shown}}}"')]
        if verdict == "unknown" and not _tested_empty(name, source):
            return [_cannot_tell(line, f"where {name} points ({shown}) is only known at "
                                 f"run time: {source}", name)]
    elif effect.kind == "unset" and name in names:
        return [Problem(line, "script.unset", f"unsets {name}: the tool falls back to home",
                        f"keep {name}: drop the unset from line {line}")]
    elif effect.kind == "clear" and names:
        return [Problem(line, "script.unset",
                        f"env -i runs its command with no managed variable (every tool "
                        f"falls back to home): {source}",
                        f"drop -i from line {line}, or pass them on (env -i "
                        f'{sorted(names)[0]}="${sorted(names)[0]}" ...)')]
    elif effect.kind == "unknown" and (name is None or name in names):
        return [_cannot_tell(line, f"{effect.why}: {source}", name)]
    elif effect.kind == "code" and depth < _MAX_DEPTH:
        code = " ".join(value.text for value in effect.values)
        inner = lint(code, names=names, home=home, script_dir=script_dir, venv_var=venv_var,
                     _depth=depth + 1)
        return [replace(problem, line=line) for problem in inner]
    elif effect.kind == "source":
        return _sourced(effect.values[0], line, source, names=names, home=home,
                        script_dir=script_dir, venv_var=venv_var, depth=depth)
    return []


def _sourced(path: Word, line: int, source: str, *, names: Collection[str], home: str,
             script_dir: str | None, venv_var: str, depth: int) -> list[Problem]:
    """`source FILE`: a venv's or scratchenv's activation is known; a file that can be read
    here is read (its problems reported on this line); anything else cannot be told."""
    text = path.text
    if text.endswith("/bin/activate") or ("scratchenv" in text and "activate" in text):
        return []
    literal = path.literal
    if literal is not None and depth < _MAX_DEPTH:
        file = Path(script_dir or ".", literal) if not os.path.isabs(literal) else Path(literal)
        try:  # a regular file only: a FIFO or /dev/stdin would block the gate
            inner = file.read_text(encoding="utf-8", errors="replace") if file.is_file() else None
        except OSError:
            inner = None
        if inner is not None:
            found = lint(inner, names=names, home=home, script_dir=str(file.parent),
                         venv_var=venv_var, _depth=depth + 1)
            return [replace(problem, line=line, message=f"{problem.message} (in {literal})")
                    for problem in found]
    return [_cannot_tell(line, f"sources {text}, which cannot be read here: {source}", None)]


def _cannot_tell(line: int, message: str, name: str | None) -> Problem:
    keep = f'export {name}="${{{name}:-...}}"' if name else "a path written out"
    return Problem(line, "script.cannot_tell", f"cannot tell: {message}",
                   f"prefer {keep}; scratchenv sbatch --guard checks it when the job starts",
                   severity="warn")


def _worst(verdicts) -> Verdict:
    found = set(verdicts)
    return "home" if "home" in found else "unknown" if "unknown" in found else "ok"


def _points(value: Word, name: str, home: str) -> Verdict:
    """Whether a value lands in home: `~`, `~alice`, `$HOME`, `${HOME}`, `$(echo ~)`, or a
    written-out path that is in home; "unknown" for what only run time knows (`~+`,
    most command substitutions); a default (`${NAME:-...}`) keeps the setting: ok."""
    parts = value.parts
    if parts and parts[0].kind == "param" and re.match(rf"\$\{{{name}:?[-=]", parts[0].text):
        return "ok"
    verdicts: list[Verdict] = []
    for part in parts:
        if part.kind == "tilde":
            verdicts.append("unknown" if part.text[:1] in ("+", "-") else "home")
        elif part.kind == "param" and _HOME_PARAM.search(part.text):
            verdicts.append("home")
        elif part.kind == "cmdsub":
            verdicts.append(_substitution(part.text, home))
    literal = value.literal
    if literal is not None and os.path.isabs(literal) and is_within(literal, home):
        verdicts.append("home")
    return _worst(verdicts)


def _substitution(code: str, home: str) -> Verdict:
    """What `$(code)` yields: home when a word in it is (`echo ~`, `cd ~ && pwd`,
    `printenv HOME`), else unknown."""
    for command in commands(code):
        texts = [w.literal for w in command.words]
        if texts[:2] == ["printenv", "HOME"]:
            return "home"
        if any(_points(w, "", home) == "home" for w in command.words[1:]):
            return "home"
    return "unknown"


def _tested_empty(name: str, source: str) -> bool:
    """`[ -z "$X" ] && export X=...` keeps a value that is already set."""
    return bool(re.search(rf"-z\s+\"?\$\{{?{name}\b", source))


# --- virtual environments -------------------------------------------------------------------


def _venvs(command: list[str]) -> list[tuple[str, str]]:
    """("creates" | "activates", path) for `uv venv [PATH]` (default .venv),
    `python -m venv PATH`, `virtualenv PATH` and `source|. PATH/bin/activate`."""
    found: list[tuple[str, str]] = []
    if command:
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
    if script_dir is None or not is_within(script_dir, home):
        return False
    # A `.venv` that `link-venv` made a link to scratch is not in home.
    return is_within(os.path.realpath(os.path.join(script_dir, path)), home)


def _venv_fix(what: str, venv_var: str) -> str:
    venv = f'"${venv_var}"'
    if what == "activates":
        return f"scratchenv bootstrap --venv once, then in the job: source {venv}/bin/activate"
    return (f"create it on scratch: uv venv {venv} (or python -m venv {venv}; "
            "scratchenv bootstrap --venv does it once)")


def _points_home(text: str, home: str) -> bool:
    return _points(one_word(text), "", home) == "home"
