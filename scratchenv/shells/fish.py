"""fish: its own quoting, `set -gx`, PATH as a list, `status is-interactive`."""

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
)


class FishRenderer(ShellRenderer):
    name = "fish"
    template = "fish"
    records_static = False

    def quote(self, value: str) -> str:
        """Bare when safe, else single quotes with `\\` and `'` escaped (fish's only escapes)."""
        if is_bare_safe(value):
            return value
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def check_lines(self, freshness: Freshness) -> str:
        q = self.quote
        # One condition: this runs at every login. `set -q` fails with the number of the
        # names that are unset: all of them, or one is set.
        unset = [name for name, value in freshness.variables if value is None]
        first = [f"set -q {' '.join(unset)}"] if unset else []
        stale = [f"test $status -ne {len(unset)}"] if unset else []
        for name, value in freshness.variables:
            if value is not None:
                # "$X" joins a list (a *PATH variable) with ':' as the environment holds it.
                stale.append(f'not set -q {name}; or test "${name}" != {q(value)}')
        for path, existed in freshness.files:
            stale.append(f"test {q(path)} -nt {q(freshness.path)}" if existed else
                         f"test -e {q(path)}")
        if freshness.env_local_dir is None:
            stale.append("test -e .env.local")
        else:
            stale.append(f'not test -e .env.local; or test "$PWD" != {q(freshness.env_local_dir)}'
                         f"; or test .env.local -nt {q(freshness.path)}")
        return "\n".join([
            "if set -q _scratchenv_check",
            *(f"    {line}" for line in first),
            "    if " + "\n        or ".join(stale),
            "        return 0",
            "    end",
            "    set -e -g _scratchenv_stale",
            "end",
        ])

    def deactivate_definition(self, undo_file: str | None, undo: list[str]) -> str:
        if undo_file is None:
            return "\n".join([
                "function scratchenv_deactivate --description 'Undo scratchenv activation'",
                indent(self.undo_body(undo), 1), "end"])
        gone = self.quote("scratchenv: cannot undo: ") + undo_file + self.quote(
            " is gone (open a new shell)")
        return (f"function scratchenv_deactivate; if test -r {undo_file}; "
                f"source {undo_file} $argv; else; printf '%s\\n' {gone} >&2; return 1; end; end")

    def undo_body(self, undo: list[str]) -> list[str]:
        return [
            "if set -q _scratchenv_active",
            indent(undo, 1),
            "    set -e -g _scratchenv_active",
            "end",
            'if test "$argv[1]" != nondestructive',
            "    functions -e scratchenv_deactivate",
            "end",
        ]

    def save_block(self, names: list[str], save_file: str | None, saves: list[str]) -> str:
        if not names:
            return ""
        none_set = f"set -q {' '.join(names)}; test $status -eq {len(names)}"
        if save_file is not None:
            return f"{none_set}; or not test -r {save_file}; or source {save_file}"
        return "\n".join([f"{none_set}; or begin", indent(saves, 1), "end"])

    def job_block(self, job: list[str], outside: list[str], job_file: str | None) -> list[str]:
        if job_file is None:
            return ['if test -n "$SLURM_JOB_ID"', indent(job, 1), "else", indent(outside, 1),
                    "end"]
        return [f'if test -n "$SLURM_JOB_ID"; and test -r {job_file}', f"    source {job_file}",
                "else", indent(outside, 1), "end"]

    def record_value_line(self, name: str, quoted_value: str) -> str:
        return f"set -g _SCRATCHENV_SET_{name} {quoted_value}"

    def rc_block(self, command: Sequence[str]) -> list[str]:
        exe = self.quote(command[0])
        call = " ".join([*(self.quote(part) for part in command), "activate", "--shell", "fish"])
        # The last file is sourced (it checks itself) whether or not scratchenv is still
        # there: a moved or deleted install never silently takes the environment away.
        # `begin`: the locals end with the block.
        return ["begin", *("    " + line for line in [
            "set -l _scratchenv_dir $HOME/.local/state/scratchenv",
            'test -n "$XDG_STATE_HOME"; and set _scratchenv_dir $XDG_STATE_HOME/scratchenv',
            'test -n "$SCRATCHENV_STATE_DIR"; and set _scratchenv_dir $SCRATCHENV_STATE_DIR',
            "set -g _scratchenv_check 1",
            "set -g _scratchenv_stale 1",
            # Only the user's own file (fish's test has no mode bits; the state directory's
            # 0700, kept by Python, keeps others from the rest).
            "set -l _scratchenv_link $_scratchenv_dir/activate.fish",
            "test -r $_scratchenv_link; and test -O $_scratchenv_link",
            "and source $_scratchenv_link",
            "set -e -g _scratchenv_check",
            f"if set -q _scratchenv_stale; and not test -x {exe}",
            f"    printf '%s\\n' {self.quote(command_gone(command[0], 'fish'))} >&2",
            "else if set -q _scratchenv_stale",
            "    if status is-interactive",
            f"        set _scratchenv_dir ({call}); and test -O \"$_scratchenv_dir\"",
            "        and source $_scratchenv_dir",
            "    else",
            # fish itself reports an interpreter that is gone (a removed venv), whatever
            # the redirection: look at the script's #! line first, with builtins.
            f"        read -l _scratchenv_head < {exe}",
            "        set -l _scratchenv_python "
            "(string match -r -g '^#!\\s*(\\S+)' -- \"$_scratchenv_head\")",
            '        if test -z "$_scratchenv_python"; or test -x "$_scratchenv_python"',
            f"            set _scratchenv_dir ({call} 2>/dev/null)",
            '            and test -O "$_scratchenv_dir"; and source $_scratchenv_dir',
            "        else",
            "            false",
            "        end",
            f"        or printf '%s\\n' {self.quote(NOT_ACTIVATED)} >&2",
            "    end",
            "end",
            "set -e -g _scratchenv_stale",
        ]), "end"]

    def save_line(self, name: str) -> str:
        return f"set -q {name}; and set -g _SCRATCHENV_OLD_{name} ${name}"

    def record_line(self, name: str) -> str:
        return f'set -g _SCRATCHENV_SET_{name} "${name}"'

    def restore_lines(self, name: str) -> list[str]:
        old, new = f"_SCRATCHENV_OLD_{name}", f"_SCRATCHENV_SET_{name}"
        return [
            f'if set -q {new}; and set -q {name}; and test "${name}" = "${new}"',
            f"    if set -q {old}",
            f"        set -gx {name} ${old}",
            "    else",
            f"        set -e -g {name}",
            "    end",
            "end",
            f"set -e -g {old} {new}",
        ]

    def remove_lines(self, entry: PrependPath, quoted_entry: str, index: int) -> list[str]:
        flag = f"_SCRATCHENV_ADDED_{index}"
        condition = f"set -q {flag}"
        if entry.unit:
            unit, recorded = entry.unit, f"_SCRATCHENV_SET_{entry.unit}"
            condition += f'; and set -q {unit}; and test "${unit}" = "${recorded}"'
        name = entry.name
        if ":" not in entry.entry:
            found = f"set -l _scratchenv_at (contains -i -- {quoted_entry} ${name})"
            return [f"if {condition}", f"    {found}; and set -e {name}[$_scratchenv_at]",
                    "end", f"set -e -g {flag}"]
        # fish holds a *PATH variable as a list split on ':', so an entry holding ':' is
        # several items in a row: find the run whose ':'-joined text is the entry.
        span = entry.entry.count(":")
        return [
            f"if {condition}",
            "    set -l _scratchenv_i 1",
            f"    while test $_scratchenv_i -le (math (count ${name}) - {span})",
            f"        set -l _scratchenv_j (math $_scratchenv_i + {span})",
            f'        if test "${name}[$_scratchenv_i..$_scratchenv_j]" = {quoted_entry}',
            f"            set -e {name}[$_scratchenv_i..$_scratchenv_j]",
            "            break",
            "        end",
            "        set _scratchenv_i (math $_scratchenv_i + 1)",
            "    end",
            "end",
            f"set -e -g {flag}",
        ]

    def ensure_lines(self, quoted_root: str, names: list[str]) -> list[str]:
        lines = [f"if test -d {quoted_root}"]
        # umask 077 while making them (see posix.py), then the user's again.
        lines += [f'    test -d "${name}"; or begin; set -l _scratchenv_umask (umask); umask 077; '
                  f'mkdir -p -- "${name}" 2>/dev/null; umask $_scratchenv_umask; end'
                  for name in names]
        return [*lines, "end"]

    def missing_root_lines(self, plan: Plan) -> str:
        lines = []
        for root in plan.roots:
            lines += [
                f"if not test -d {self.quote(root)}; and status is-interactive",
                f"    printf '%s\\n' {self.quote(missing_root_message(plan, root))} >&2",
                "end",
            ]
        return "\n".join(lines)

    def home_watch_lines(self, watch: HomeWatch) -> str:
        # fish has no builtin clock: it prints the last look's line, and starts a look only
        # when there is none yet (bash and zsh logins, or `status --home`, refresh it).
        file = self.quote(watch.file)
        refresh = " ".join(self.quote(part) for part in watch.refresh)
        outside_job = "; and ".join(f"not set -q {name}" for name in JOB_VARIABLES)
        return "\n".join([
            "if status is-interactive",
            f"    if test -f {file}; and test -O {file}",
            f"        read -l -L _scratchenv_due _scratchenv_line < {file}",
            "        test -n \"$_scratchenv_line\"; and "
            "printf 'scratchenv: %s\\n' \"$_scratchenv_line\" >&2",
            f"    else if {outside_job}",
            f"        command {refresh} </dev/null >/dev/null 2>&1 &",
            "        disown 2>/dev/null",
            "    end",
            "end",
        ])

    def export_line(self, name: str, quoted_value: str) -> str:
        return f"set -gx {name} {quoted_value}"

    def prepend_line(self, name: str, quoted_entry: str, index: int) -> str:
        # fish splits a variable named *PATH on ':' when it is set, so `contains` misses an
        # entry holding ':' (a root like /scratch/a:b) and a nested fish would prepend it
        # again; "$PATH" joins the list with ':', and `string replace` matches literally.
        return (
            f'string replace -q -- :{quoted_entry}: "" ":${name}:"; '
            f"or begin; set -gx {name} {quoted_entry} ${name}; "
            f"set -g _SCRATCHENV_ADDED_{index} 1; end"
        )

    def node_tmp_lines(self, plan: Plan) -> list[str]:
        conditions = ['test -n "$SLURM_JOB_ID"']
        value = ""
        for kind, text in plan.node_pieces:
            if kind == "env":
                conditions.append(f'test -n "${text}"')
                value += f'"${text}"'
            elif kind == "tmp":
                conditions.append('test -n "$_scratchenv_tmp"')
                value += '"$_scratchenv_tmp"'
            else:
                value += self.quote(plan.user if kind == "user" else text)
        d = '"$_scratchenv_node_tmp"'
        before, after = NODE_REFUSED
        return [
            "set -g _scratchenv_node_tmp",
            "set -l _scratchenv_tmp $TMPDIR",
            'test -n "$SLURM_TMPDIR"; and set _scratchenv_tmp $SLURM_TMPDIR',
            f"if {'; and '.join(conditions)}",
            f"    set _scratchenv_node_tmp {value}",
            f"    test -d {d}; or test -L {d}; or mkdir -m 700 -- {d} 2>/dev/null",
            f"    if test -L {d}; or not test -O {d}; "
            f"or not string match -q 'd????-??-*' -- (env LC_ALL=C ls -ld -- {d} 2>/dev/null)",
            f"        printf '%s\\n' {self.quote(before)}{d}{self.quote(after)} >&2",
            "        set _scratchenv_node_tmp",
            "    end",
            "end",
        ]

    def node_tmp_cleanup(self) -> str:
        return "set -e -g _scratchenv_node_tmp"

    def if_node_tmp(self, then: str, otherwise: str) -> list[str]:
        return ['if test -n "$_scratchenv_node_tmp"', f"    {then}", "else", f"    {otherwise}",
                "end"]

    def unless_site_value(self, name: str, lines: list[str]) -> list[str]:
        value = f'"${name}"'
        return [
            f'if test -z {value}; or test {value} = "$HOME"; '
            f'or string match -q -- "$HOME/*" {value}',
            indent(lines, 1),
            "end",
        ]


RENDERER = FishRenderer
