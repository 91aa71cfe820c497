"""POSIX sh: the activation script bash and zsh share (they add only a sourced-check)."""

from __future__ import annotations

from collections.abc import Sequence

from scratchenv.plan import Plan, PrependPath
from scratchenv.shells.base import (
    JOB_VARIABLES,
    NODE_REFUSED,
    NOT_ACTIVATED,
    Freshness,
    HomeWatch,
    ShellRenderer,
    command_gone,
    indent,
    is_bare_safe,
    missing_root_message,
    state_link,
)


class PosixRenderer(ShellRenderer):
    name = "sh"
    template = "sh"
    records_static = False

    def quote(self, value: str) -> str:
        """Bare when safe, else single quotes (`'` as `'\\''`): byte-exact, expands nothing."""
        if is_bare_safe(value):
            return value
        return "'" + value.replace("'", "'\\''") + "'"

    def check_lines(self, freshness: Freshness) -> str:
        q = self.quote
        # Conditions (test's operands), any of which makes the file stale.
        stale = self.unset_tests(freshness.variables)
        for name, value in freshness.variables:
            if value is not None:
                stale.append(f'"${{{name}+set:}}${{{name}-}}" != {q("set:" + value)}')
        for path, existed in freshness.files:
            stale.append(f"{q(path)} -nt {q(freshness.path)}" if existed else f"-e {q(path)}")
        if freshness.env_local_dir is None:
            stale.append("-e .env.local")
        else:
            stale += ["! -e .env.local", f'"$PWD" != {q(freshness.env_local_dir)}',
                      f".env.local -nt {q(freshness.path)}"]
        return "\n".join([
            'if [ -n "${_scratchenv_check:-}" ]; then',
            f"    if {self.any_of(stale)}; then",
            "        return 0",
            "    fi",
            "    _scratchenv_stale=",
            "fi",
        ])

    def any_of(self, conditions: list[str]) -> str:
        """A command that succeeds when any of `conditions` (test's operands) holds."""
        return " ||\n        ".join(f"[ {condition} ]" for condition in conditions)

    def unset_tests(self, variables: tuple[tuple[str, str | None], ...]) -> list[str]:
        """Conditions that hold unless each variable without a value (None) is unset: one,
        as this runs at every login."""
        unset = "".join(f"${{{name}+x}}" for name, value in variables if value is None)
        return [f"-n {self.operand(unset)}"] if unset else []

    def operand(self, expansions: str) -> str:
        """Expansions as one operand of a test in any_of or bracket: quoted for `[ ]`."""
        return f'"{expansions}"'

    def bracket(self, condition: str) -> str:
        """`condition` as a test command."""
        return f"[ {condition} ]"

    def deactivate_definition(self, undo_file: str | None, undo: list[str]) -> str:
        if undo_file is None:
            return "\n".join(["scratchenv_deactivate() {", indent(self.undo_body(undo), 1), "}"])
        gone = self.quote("scratchenv: cannot undo: ") + undo_file + self.quote(
            " is gone (open a new shell)")
        return (f"scratchenv_deactivate() {{ if [ -r {undo_file} ]; then . {undo_file}; "
                f"else printf '%s\\n' {gone} >&2; return 1; fi; }}")

    def undo_body(self, undo: list[str]) -> list[str]:
        return [
            'if [ -n "${_SCRATCHENV_ACTIVE:-}" ]; then',
            indent(undo, 1),
            "    unset _SCRATCHENV_ACTIVE",
            "fi",
            'if [ "${1:-}" != nondestructive ]; then',
            "    unset -f scratchenv_deactivate",
            "fi",
        ]

    def save_block(self, names: list[str], save_file: str | None, saves: list[str]) -> str:
        if not names:
            return ""
        any_set = self.operand("".join(f"${{{name}+x}}" for name in names))
        if save_file is not None:
            # `[ -r ]`: sh ends a script whose `.` finds no file; Python writes it again.
            return f"{self.bracket('-z ' + any_set)} || [ ! -r {save_file} ] || . {save_file}"
        return "\n".join([f"if {self.bracket('-n ' + any_set)}; then", indent(saves, 1), "fi"])

    def job_block(self, job: list[str], outside: list[str], job_file: str | None) -> list[str]:
        if job_file is None:
            return ['if [ -n "${SLURM_JOB_ID:-}" ]; then', indent(job, 1), "else",
                    indent(outside, 1), "fi"]
        return [f'if [ -n "${{SLURM_JOB_ID:-}}" ] && [ -r {job_file} ]; then', f"    . {job_file}",
                "else", indent(outside, 1), "fi"]

    def record_value_line(self, name: str, quoted_value: str) -> str:
        return f"_SCRATCHENV_SET_{name}={quoted_value}"

    def path_block(self, prepends: list[tuple[str, str, int]], path_file: str | None
                   ) -> list[str]:
        names = {name for name, _, _ in prepends}
        if len(names) != 1:
            return super().path_block(prepends, path_file)
        name = names.pop()
        one_by_one = ([f"[ ! -r {path_file} ] || . {path_file}"] if path_file is not None
                      else [self.prepend_line(*entry) for entry in prepends])
        # The common login: none is there yet, so one assignment puts them all in front
        # (the last prepended first, as one by one would).
        front = ":".join(entry for _, entry, _ in reversed(prepends))
        flags = " ".join(f"_SCRATCHENV_ADDED_{index}=1" for _, _, index in prepends)
        return [
            f'case ":${{{name}:-}}:" in',
            "    " + "|".join(f"*:{entry}:*" for _, entry, _ in prepends) + ")",
            indent(one_by_one, 2) + " ;;",
            f'    *) {name}={front}${{{name}:+":${name}"}}; export {name}; {flags} ;;',
            "esac",
        ]

    def rc_block(self, command: Sequence[str]) -> list[str]:
        exe = self.quote(command[0])
        call = " ".join([*(self.quote(part) for part in command), "activate", "--shell",
                         self.name])
        # The last file is sourced (it checks itself) whether or not scratchenv is still
        # there: a moved or deleted install never silently takes the environment away.
        return [
            f'_scratchenv_file="{state_link(self.name)}"',
            "_scratchenv_check=1 _scratchenv_stale=1",
            'if [ -r "$_scratchenv_file" ] && ' + self.sourceable("$_scratchenv_file")
            + '; then . "$_scratchenv_file"; fi',
            "_scratchenv_check=",
            'if [ -n "$_scratchenv_stale" ] && [ ! -x ' + exe + " ]; then",
            f"    printf '%s\\n' {self.quote(command_gone(command[0], self.name))} >&2",
            'elif [ -n "$_scratchenv_stale" ]; then',
            "    case $- in",
            f"        *i*) _scratchenv_file=$({call}) ;;",
            f"        *) _scratchenv_file=$({call} 2>/dev/null) ||",
            f"               printf '%s\\n' {self.quote(NOT_ACTIVATED)} >&2 ;;",
            '    esac && [ -n "$_scratchenv_file" ] && '
            + self.sourceable("$_scratchenv_file") + ' && . "$_scratchenv_file"',
            "fi",
            "unset _scratchenv_file _scratchenv_check _scratchenv_stale",
        ]

    def sourceable(self, variable: str) -> str:
        """A builtin test that the file named by `variable` is the user's own (a file a
        group member put in the state directory is not sourced). POSIX test has no mode
        bits: the state directory's 0700, kept by Python, keeps others from the rest."""
        return f'[ -O "{variable}" ]'

    def save_line(self, name: str) -> str:
        return f'if [ -n "${{{name}+x}}" ]; then _SCRATCHENV_OLD_{name}=${name}; fi'

    def record_line(self, name: str) -> str:
        return f"_SCRATCHENV_SET_{name}=${name}"

    def restore_all(self, names: list[str]) -> list[str]:
        # One loop, not a block per variable: the shell parses the whole deactivate
        # function at every login, and unrolled it was two thirds of the file.
        return [
            f"for _scratchenv_name in {' '.join(names)}; do",
            f'    eval "{_RESTORE_ONE}"',
            "done",
            "unset _scratchenv_name",
        ]

    def remove_lines(self, entry: PrependPath, quoted_entry: str, index: int) -> list[str]:
        flag = f"_SCRATCHENV_ADDED_{index}"
        name = entry.name
        condition = f'[ -n "${{{flag}:-}}" ]'
        if entry.unit:
            unit, recorded = entry.unit, f"_SCRATCHENV_SET_{entry.unit}"
            condition += f' && [ "${{{unit}+x}}${{{unit}-}}" = "x${{{recorded}-}}" ]'
        return [
            f"if {condition}; then",
            f'    _scratchenv_list=":${{{name}:-}}:"',
            "    case $_scratchenv_list in",
            f"        *:{quoted_entry}:*)",
            f"            _scratchenv_list=${{_scratchenv_list%%:{quoted_entry}:*}}:"
            f"${{_scratchenv_list#*:{quoted_entry}:}}",
            "            _scratchenv_list=${_scratchenv_list#:}",
            f"            {name}=${{_scratchenv_list%:}}; export {name} ;;",
            "    esac",
            "    unset _scratchenv_list",
            "fi",
            f"unset {flag}",
        ]

    def ensure_lines(self, quoted_root: str, names: list[str]) -> list[str]:
        lines = [f"if [ -d {quoted_root} ]; then"]
        # umask 077: with a lab's umask 002 a group member could write a cache that holds
        # code (compiled kernels, extensions); the subshell keeps the user's umask.
        lines += [f'    [ -d "${name}" ] || (umask 077 && mkdir -p -- "${name}") 2>/dev/null'
                  for name in names]
        return [*lines, "fi"]

    def missing_root_lines(self, plan: Plan) -> str:
        lines = []
        for root in plan.roots:
            message = self.quote(missing_root_message(plan, root))
            lines += [
                f"if [ ! -d {self.quote(root)} ]; then",
                f"    case $- in *i*) printf '%s\\n' {message} >&2 ;; esac",
                "fi",
            ]
        return "\n".join(lines)

    def home_watch_lines(self, watch: HomeWatch) -> str:
        file = self.quote(watch.file)
        refresh = " ".join(self.quote(part) for part in watch.refresh)
        # Few tests, the likeliest to fail first: this runs at every interactive login.
        # Without a clock (now empty) only a missing look (now 1, due 0) is due.
        outside_job = '[ -z "' + "".join(f"${{{name}:-}}" for name in JOB_VARIABLES) + '" ]'
        due = '[ "${_scratchenv_now:-0}" -ge "${_scratchenv_due:-0}" ] 2>/dev/null'
        return "\n".join([
            "case $- in",
            "    *i*)",
            "        _scratchenv_due= _scratchenv_line= _scratchenv_now=",
            f"        if [ -f {file} -a -O {file} ]; then",
            f"            {{ read -r _scratchenv_due; IFS= read -r _scratchenv_line; }} "
            f"< {file} || :",
            '            [ -z "$_scratchenv_line" ] || '
            "printf 'scratchenv: %s\\n' \"$_scratchenv_line\" >&2",
            *(f"            {line}" for line in self.clock_lines()),
            "        else",
            "            _scratchenv_now=1 _scratchenv_due=0",
            "        fi",
            f"        if {due} && {outside_job}; then",
            f"            ({refresh} </dev/null >/dev/null 2>&1 &)",
            "        fi",
            "        unset _scratchenv_due _scratchenv_line _scratchenv_now ;;",
            "esac",
        ])

    def clock_lines(self) -> list[str]:
        """Set _scratchenv_now to the seconds since the epoch with a builtin, if the shell
        has one (POSIX sh has none: it refreshes only a missing look)."""
        return []

    def export_line(self, name: str, quoted_value: str) -> str:
        return f"export {name}={quoted_value}"

    def assign_line(self, name: str, quoted_value: str) -> str:
        return f"{name}={quoted_value}"

    def export_names(self, names: list[str]) -> list[str]:
        return [f"export {' '.join(names)}"] if names else []

    def set_all(self, lines: list[str]) -> list[str]:
        # Plain assignments under `set -a` (unless the user has it on already): a third of
        # the cost of an `export` each, or of one `export` naming them all (bash).
        if not lines:
            return []
        return ["case $- in *a*) _scratchenv_a= ;; *) _scratchenv_a=1; set -a ;; esac",
                *lines,
                '[ -z "$_scratchenv_a" ] || set +a',
                "unset _scratchenv_a"]

    def prepend_line(self, name: str, quoted_entry: str, index: int) -> str:
        return (
            f'case ":${{{name}:-}}:" in *:{quoted_entry}:*) ;; '
            f'*) {name}={quoted_entry}${{{name}:+":${name}"}}; export {name}; '
            f"_SCRATCHENV_ADDED_{index}=1 ;; esac"
        )

    def node_tmp_lines(self, plan: Plan) -> list[str]:
        tmp = '"${SLURM_TMPDIR:-${TMPDIR:-}}"'
        conditions = ['[ -n "${SLURM_JOB_ID:-}" ]']
        value = ""
        for kind, text in plan.node_pieces:
            if kind == "env":
                conditions.append(f'[ -n "${{{text}:-}}" ]')
                value += f'"${{{text}}}"'
            elif kind == "tmp":
                conditions.append(f"[ -n {tmp} ]")
                value += tmp
            else:
                value += self.quote(plan.user if kind == "user" else text)
        d = '"$_scratchenv_node_tmp"'
        before, after = NODE_REFUSED
        return [
            "_scratchenv_node_tmp=",
            f"if {' && '.join(conditions)}; then",
            f"    _scratchenv_node_tmp={value}",
            # `|| :`: a job script's `set -e` must not end the job here; the check below says.
            f"    if [ ! -d {d} ] && [ ! -L {d} ]; then mkdir -m 700 -- {d} 2>/dev/null || :; fi",
            f"    if [ -L {d} ] || [ ! -O {d} ] || ! case $(LC_ALL=C ls -ld -- {d} 2>/dev/null) "
            "in d????-??-*) true ;; *) false ;; esac; then",
            f"        printf '%s\\n' {self.quote(before)}{d}{self.quote(after)} >&2",
            "        _scratchenv_node_tmp=",
            "    fi",
            "fi",
        ]

    def node_tmp_cleanup(self) -> str:
        return "unset _scratchenv_node_tmp"

    def if_node_tmp(self, then: str, otherwise: str) -> list[str]:
        return ['if [ -n "$_scratchenv_node_tmp" ]; then', f"    {then}", "else",
                f"    {otherwise}", "fi"]

    def unless_site_value(self, name: str, lines: list[str]) -> list[str]:
        return [f'case "${{{name}:-}}" in ""|"${{HOME:-}}"|"${{HOME:-}}"/*)', indent(lines, 1),
                ";; esac"]


def double_bracket(conditions: list[str]) -> str:
    """any_of as one `[[ ]]` (bash, zsh): a third cheaper to read than a `[ ]` each. Every
    right-hand side is quoted or bare-safe (is_bare_safe), so none is a pattern."""
    return "[[ " + " ||\n        ".join(conditions) + " ]]"


_N = "$_scratchenv_name"
_OLD, _SET = f"_SCRATCHENV_OLD_{_N}", f"_SCRATCHENV_SET_{_N}"
_RESTORE_ONE = (
    f'if [ -n \\"\\${{{_SET}+x}}\\" ] && '
    f'[ \\"\\${{{_N}+x}}\\${{{_N}-}}\\" = \\"x\\${_SET}\\" ]; then '
    f'if [ -n \\"\\${{{_OLD}+x}}\\" ]; then {_N}=\\${_OLD}; export {_N}; '
    f"else unset {_N}; fi; fi; unset {_OLD} {_SET}"
)
"""restore_lines for the variable named by $_scratchenv_name, escaped for `eval "..."`."""

RENDERER = PosixRenderer
