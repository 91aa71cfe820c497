"""The run-time guard: shell text a job runs at its start that stops it, with one clear
line, when a managed variable points at home or is unset.

A static reading of a script can never be complete, so every job scratchenv writes (the
template) or submits with `--guard` checks itself. POSIX sh throughout (`sbatch --wrap`
runs /bin/sh); under bash it also re-checks before every command (a DEBUG trap, inherited
by functions and subshells: `set -T`), which catches what the script's own lines do:
`export`, `eval`, `source`, `printf -v`, `unset`. What a single command gets in its own
environment (`env X=... cmd`, `X=... cmd`) is out of a shell's sight; the static gate sees
those.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from scratchenv.shells.posix import PosixRenderer

MARKER = "# >>> scratchenv guard >>>"
END = "# <<< scratchenv guard <<<"
PREFIX = "scratchenv guard:"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def render_guard(names: Sequence[str], scratchenv: Sequence[str] = ()) -> str:
    """The guard for the managed variables `names`; with `scratchenv` (how to run it on the
    node), also `scratchenv verify --node --quiet` when that program is there."""
    quote = PosixRenderer().quote
    checks = []
    for name in sorted(set(names)):
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a variable name: {name!r}")
        checks += [
            f'    case "${{{name}-}}" in "$HOME"|"$HOME"/*|"$__scratchenv_home"|'
            f'"$__scratchenv_home"/*) __scratchenv_stop {name} "points at home (${name})";; esac',
            f'    if [ -n "${{{name}+x}}" ]; then __scratchenv_was_{name}=1; '
            f'elif [ -n "${{__scratchenv_was_{name}-}}" ]; then '
            f'__scratchenv_stop {name} "was unset (tools fall back to home)"; fi',
        ]
    # What the DEBUG trap compares before every command: one string of every watched
    # value (set or not), so a command that changed nothing costs one comparison.
    seen = "\n".join(['    __scratchenv_now="$HOME'] + [
        f"${{{name}+set}}${{{name}-}}" for name in sorted(set(names))]) + '"'
    lines = [
        MARKER,
        "# Stops this job, with one line, when a managed variable points at home or is",
        "# unset: at its start and, under bash, before every command (scratchenv sbatch --guard).",
        "__scratchenv_pid=$$",
        "__scratchenv_stop() {",
        f"    printf '%s\\n' \"{PREFIX} $1 $2: stopping the job (scratchenv lint-scripts "
        "shows the line; the job's --export counts too)\" >&2",
        '    if [ -n "${BASH_VERSION:-}" ] && [ "$BASHPID" != "$__scratchenv_pid" ]; then',
        '        kill -s TERM "$__scratchenv_pid" 2>/dev/null',
        "    fi",
        "    exit 1",
        "}",
        "__scratchenv_check() {",
        '    [ -n "${HOME:-}" ] && [ "$HOME" != / ] || return 0',
        *checks,
        "}",
        '__scratchenv_home=$(cd "${HOME:-/}" 2>/dev/null && pwd -P) || __scratchenv_home=$HOME',
        "__scratchenv_check",
        "__scratchenv_watch() {",
        seen,
        '    [ "$__scratchenv_now" = "${__scratchenv_seen-}" ] && return 0',
        "    __scratchenv_check",
        "    __scratchenv_seen=$__scratchenv_now",
        "}",
    ]
    if scratchenv:
        invoke = " ".join(quote(arg) for arg in scratchenv)
        lines += [f"if command -v {quote(scratchenv[0])} >/dev/null 2>&1; then",
                  f"    {invoke} verify --node --quiet || exit 1",
                  "fi"]
    lines += ['if [ -n "${BASH_VERSION:-}" ]; then',
              "    set -T",
              "    trap __scratchenv_watch DEBUG",
              "fi",
              END]
    return "\n".join(lines) + "\n"
