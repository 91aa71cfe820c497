"""tcsh (and csh): `setenv`, quoting that survives history (`!`) and `$` expansion.

tcsh has no functions and no `return`: the activation file is one if/else, and
`scratchenv_deactivate` is an alias that sources the same file with `_scratchenv_undo` set.
Variables are read only inside a block that first checks `$?NAME` (csh expands a whole line
before it evaluates it, so `! $?X || "$X" != v` fails on an unset X).
"""

from __future__ import annotations

from collections.abc import Sequence

from scratchenv.plan import Plan, PrependPath
from scratchenv.shells.base import (
    NODE_REFUSED,
    NOT_ACTIVATED,
    Freshness,
    ShellRenderer,
    command_gone,
    indent,
    is_bare_safe,
    missing_root_message,
)

SKIP = "set _scratchenv_skip"


class TcshRenderer(ShellRenderer):
    name = "tcsh"
    template = "tcsh"

    def quote(self, value: str) -> str:
        """Bare when safe, else single quotes; `'` and `!` go outside them as `\\'` and
        `\\!` (history expands `!` even inside quotes), a newline as a quoted `\\<newline>`."""
        if is_bare_safe(value):
            return value
        parts, plain = [], ""
        for char in value:
            if char in "'!\n":
                if plain:
                    parts.append(f"'{plain}'")
                    plain = ""
                parts.append("'\\\n'" if char == "\n" else "\\" + char)
            else:
                plain += char
        if plain or not parts:
            parts.append(f"'{plain}'")
        return "".join(parts)

    def _is(self, name: str, quoted: str) -> list[str]:
        """Lines that set _scratchenv_skip unless $name is set to the quoted value."""
        return [f"if ( ! $?{name} ) {SKIP}", f"if ( $?{name} ) then",
                f'    if ( "${name}:q" != {quoted} ) {SKIP}', "endif"]

    def check_lines(self, freshness: Freshness) -> str:
        q = self.quote
        me = q(freshness.path)
        lines: list[str] = []
        for name, value in freshness.variables:
            lines += [f"if ( $?{name} ) {SKIP}"] if value is None else self._is(name, q(value))
        for path, existed in freshness.files:
            if not existed:
                lines.append(f"if ( -e {q(path)} ) {SKIP}")
                continue
            # Whole seconds: a file as new as this one counts as newer.
            lines += [f"if ( ! -e {q(path)} ) {SKIP}", f"if ( -e {q(path)} ) then",
                      f"    if ( -M {q(path)} >= -M {me} ) {SKIP}", "endif"]
        if freshness.env_local_dir is None:
            lines.append(f"if ( -e .env.local ) {SKIP}")
        else:
            lines += ["if ( -e .env.local ) then",
                      f'    if ( "$cwd:q" != {q(freshness.env_local_dir)} ) {SKIP}',
                      f"    if ( -M .env.local >= -M {me} ) {SKIP}",
                      "else", f"    {SKIP}", "endif"]
        return "\n".join(["if ( $?_scratchenv_check ) then", indent(lines, 1),
                          "    if ( ! $?_scratchenv_skip ) unset _scratchenv_stale",
                          "endif"])

    def rc_block(self, command: Sequence[str]) -> list[str]:
        exe = self.quote(command[0])
        call = " ".join([*(self.quote(part) for part in command), "activate", "--shell", "tcsh"])
        link = '"$_scratchenv_dir:q/activate.tcsh"'
        # The last file is sourced (it checks itself) whether or not scratchenv is still
        # there: a moved or deleted install never silently takes the environment away.
        return [
            'set _scratchenv_dir = "$HOME:q/.local/state/scratchenv"',
            "if ( $?XDG_STATE_HOME ) then",
            '    if ( "$XDG_STATE_HOME:q" != "" ) '
            'set _scratchenv_dir = "$XDG_STATE_HOME:q/scratchenv"',
            "endif",
            "if ( $?SCRATCHENV_STATE_DIR ) then",
            '    if ( "$SCRATCHENV_STATE_DIR:q" != "" ) '
            'set _scratchenv_dir = "$SCRATCHENV_STATE_DIR:q"',
            "endif",
            "set _scratchenv_check _scratchenv_stale",
            # Only the user's own file that neither group nor others can write (-P022).
            f"if ( -r {link} && -o {link} && ! -P022 {link} ) source {link}",
            "unset _scratchenv_check",
            # Python writes the file and points the link at it (or, for a broken config,
            # keeps the last good one): source the link. Quiet unless interactive.
            "if ( $?_scratchenv_stale && ! -x " + exe + " ) then",
            f"    echo {self.quote(command_gone(command[0], 'tcsh'))} >& /dev/stderr",
            "else if ( $?_scratchenv_stale ) then",
            "    if ( $?prompt ) then",
            f"        {call} > /dev/null",
            "        set _scratchenv_status = $status",
            "    else",
            f"        {call} >& /dev/null",
            "        set _scratchenv_status = $status",
            "    endif",
            f"    if ( $_scratchenv_status == 0 && -o {link} && ! -P022 {link} ) then",
            f"        source {link}",
            "    else if ( ! $?prompt ) then",
            f"        echo {self.quote(NOT_ACTIVATED)} >& /dev/stderr",
            "    endif",
            "    unset _scratchenv_status",
            "endif",
            "unset _scratchenv_dir _scratchenv_stale",
        ]

    def save_line(self, name: str) -> str:
        return "\n".join(_if_set(name, f'set _SCRATCHENV_OLD_{name} = "${name}:q"'))

    def record_line(self, name: str) -> str:
        return f'set _SCRATCHENV_SET_{name} = "${name}:q"'

    def _unchanged(self, name: str, flag: str, body: list[str]) -> list[str]:
        """`body` when activation set $name (recorded in `flag`) and it still holds that."""
        return [f"if ( $?{flag} && $?{name} ) then",
                f'    if ( "${name}:q" == "${flag}:q" ) then', *_indented(body, 2), "    endif",
                "endif"]

    def restore_lines(self, name: str) -> list[str]:
        old, new = f"_SCRATCHENV_OLD_{name}", f"_SCRATCHENV_SET_{name}"
        body = [f"if ( $?{old} ) then", f'    setenv {name} "${old}:q"', "else",
                f"    unsetenv {name}", "endif"]
        return [*self._unchanged(name, new, body), f"unset {old} {new}"]

    def remove_lines(self, entry: PrependPath, quoted_entry: str, index: int) -> list[str]:
        flag = f"_SCRATCHENV_ADDED_{index}"
        body = self._without(quoted_entry)
        if entry.unit:
            body = self._unchanged(entry.unit, f"_SCRATCHENV_SET_{entry.unit}", body)
        return [f"if ( $?{flag} ) then", *_indented(body, 1), "endif", f"unset {flag}"]

    @staticmethod
    def _without(quoted_entry: str) -> list[str]:
        """Drop the first `path` item equal to the entry (tcsh keeps $path and $PATH as one)."""
        return [
            "set _scratchenv_list = ()",
            "set _scratchenv_found = 0",
            "foreach _scratchenv_item ( $path:q )",
            # One-line ifs only: an if/else inside a loop breaks tcsh's skipping of an
            # enclosing false block.
            f'    if ( $_scratchenv_found == 0 && "$_scratchenv_item:q" == {quoted_entry} ) '
            "set _scratchenv_found = 2",
            "    if ( $_scratchenv_found != 2 ) "
            'set _scratchenv_list = ( $_scratchenv_list:q "$_scratchenv_item:q" )',
            "    if ( $_scratchenv_found == 2 ) set _scratchenv_found = 1",
            "end",
            "set path = ( $_scratchenv_list:q )",
            "unset _scratchenv_list _scratchenv_found _scratchenv_item",
        ]

    def ensure_lines(self, quoted_root: str, names: list[str]) -> list[str]:
        lines = [f"if ( -d {quoted_root} ) then"]
        for name in names:
            # umask 077 in a subshell (see posix.py).
            lines += [f'    if ( ! -d "${name}:q" ) then',
                      f'        ( umask 077; mkdir -p -- "${name}:q" ) >& /dev/null',
                      "    endif"]
        return [*lines, "endif"]

    def missing_root_lines(self, plan: Plan) -> str:
        lines = []
        for root in plan.roots:
            lines += [
                f"if ( ! -d {self.quote(root)} && $?prompt ) then",
                f"    echo {self.quote(missing_root_message(plan, root))} >& /dev/stderr",
                "endif",
            ]
        return "\n".join(lines)

    def export_line(self, name: str, quoted_value: str) -> str:
        return f"setenv {name} {quoted_value}"

    def prepend_line(self, name: str, quoted_entry: str, index: int) -> str:
        return "\n".join([
            "set _scratchenv_found = 0",
            "foreach _scratchenv_item ( $path:q )",
            f'    if ( "$_scratchenv_item:q" == {quoted_entry} ) set _scratchenv_found = 1',
            "end",
            "if ( $_scratchenv_found == 0 ) then",
            f'    setenv {name} {quoted_entry}:"${name}:q"',
            f"    set _SCRATCHENV_ADDED_{index}",
            "endif",
            "unset _scratchenv_found _scratchenv_item",
        ])

    def node_tmp_lines(self, plan: Plan) -> list[str]:
        # Each piece read into its own variable first: a one-line `if` would expand an
        # unset variable (_if_set); an empty piece means no node-local directory.
        reads = [
            'set _scratchenv_piece_0 = ""',
            *_if_set("TMPDIR", 'set _scratchenv_piece_0 = "$TMPDIR:q"'),
            *_if_set("SLURM_TMPDIR", 'set _scratchenv_piece_0 = "$SLURM_TMPDIR:q"'),
        ]
        value, pieces = "", ["_scratchenv_piece_0"]
        for index, (kind, text) in enumerate(plan.node_pieces, start=1):
            if kind == "env":
                piece = f"_scratchenv_piece_{index}"
                reads += [f'set {piece} = ""', *_if_set(text, f'set {piece} = "${text}:q"')]
                pieces.append(piece)
                value += f'"${piece}:q"'
            elif kind == "tmp":
                value += '"$_scratchenv_piece_0:q"'
            else:
                value += self.quote(plan.user if kind == "user" else text)
        d = '"$_scratchenv_node_tmp:q"'
        before, after = NODE_REFUSED
        empty = " || ".join(f'"${piece}:q" == ""' for piece in pieces
                            if piece != "_scratchenv_piece_0"
                            or ("tmp", "") in plan.node_pieces)
        check = [
            f"set _scratchenv_node_tmp = {value}",
            f"if ( ! -d {d} && ! -l {d} ) mkdir -m 700 -- {d} >& /dev/null",
            f"if ( -l {d} || ! -o {d} || ! -d {d} ) then",
            "    set _scratchenv_refused = 1",
            "else",
            f"    set _scratchenv_mode = `filetest -P22 {d}`",
            '    if ( "$_scratchenv_mode" != 0 ) set _scratchenv_refused = 1',
            "    unset _scratchenv_mode",
            "endif",
            "if ( $_scratchenv_refused ) then",
            f"    echo {self.quote(before)}{d}{self.quote(after)} >& /dev/stderr",
            '    set _scratchenv_node_tmp = ""',
            "endif",
        ]
        body = ["set _scratchenv_refused = 0", *reads]
        if empty:
            body += [f"if ( {empty} ) then", "    set _scratchenv_refused = 2", "endif"]
        body += ["if ( $_scratchenv_refused == 0 ) then", *_indented(check, 1), "endif",
                 f"unset _scratchenv_refused {' '.join(pieces)}"]
        return ['set _scratchenv_node_tmp = ""', "if ( $?SLURM_JOB_ID ) then",
                *_indented(body, 1), "endif"]

    def node_tmp_cleanup(self) -> str:
        return "unset _scratchenv_node_tmp"

    def if_node_tmp(self, then: str, otherwise: str) -> list[str]:
        return ['if ( "$_scratchenv_node_tmp:q" != "" ) then', f"    {then}", "else",
                f"    {otherwise}", "endif"]

    def unless_site_value(self, name: str, lines: list[str]) -> list[str]:
        # Applied when unset, empty, $HOME or under it; any other value is the site's.
        return [
            "set _scratchenv_site = 0",
            f"if ( $?{name} ) then",
            f'    if ( "${name}:q" != "" && "${name}:q" != "$HOME:q" && '
            f'"${name}:q" !~ "$HOME:q"/* ) set _scratchenv_site = 1',
            "endif",
            "if ( $_scratchenv_site == 0 ) then",
            indent(lines, 1),
            "endif",
            "unset _scratchenv_site",
        ]


def _if_set(name: str, command: str) -> list[str]:
    """`command` when $name is set (a one-line `if` would expand $name even when unset)."""
    return [f"if ( $?{name} ) then", f"    {command}", "endif"]


def _indented(lines: list[str], depth: int) -> list[str]:
    """Each line padded at its start only (a quoted value may hold a newline)."""
    pad = "    " * depth
    return [pad + line if line else line for line in lines]


RENDERER = TcshRenderer
