"""POSIX sh: the activation script bash and zsh share (they add only a sourced-check)."""

from __future__ import annotations

from scratchenv.plan import Plan
from scratchenv.shells.base import ShellRenderer, indent, is_bare_safe, missing_root_message


class PosixRenderer(ShellRenderer):
    name = "sh"
    template = "sh"

    def quote(self, value: str) -> str:
        """Bare when safe, else single quotes (`'` as `'\\''`): byte-exact, expands nothing."""
        if is_bare_safe(value):
            return value
        return "'" + value.replace("'", "'\\''") + "'"

    def save_line(self, name: str) -> str:
        return f'if [ -n "${{{name}+x}}" ]; then _SCRATCHENV_OLD_{name}=${name}; fi'

    def restore_lines(self, name: str) -> list[str]:
        old = f"_SCRATCHENV_OLD_{name}"
        return [
            f'if [ -n "${{{old}+x}}" ]; then',
            f"    {name}=${old}; export {name}; unset {old}",
            "else",
            f"    unset {name}",
            "fi",
        ]

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

    def export_line(self, name: str, quoted_value: str) -> str:
        return f"export {name}={quoted_value}"

    def prepend_line(self, name: str, quoted_entry: str) -> str:
        return (
            f'case ":${{{name}:-}}:" in *:{quoted_entry}:*) ;; '
            f'*) {name}={quoted_entry}${{{name}:+":${name}"}}; export {name} ;; esac'
        )

    def node_tmp_lines(self) -> list[str]:
        return [
            "_scratchenv_node_tmp=",
            'if [ -n "${SLURM_JOB_ID:-}" ]; then',
            "    _scratchenv_node_tmp=${SLURM_TMPDIR:-${TMPDIR:-}}",
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
