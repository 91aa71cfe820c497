"""fish: its own quoting, `set -gx`, PATH as a list, `status is-interactive`."""

from __future__ import annotations

from scratchenv.plan import Plan
from scratchenv.shells.base import ShellRenderer, indent, is_bare_safe, missing_root_message


class FishRenderer(ShellRenderer):
    name = "fish"
    template = "fish"

    def quote(self, value: str) -> str:
        """Bare when safe, else single quotes with `\\` and `'` escaped (fish's only escapes)."""
        if is_bare_safe(value):
            return value
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def save_line(self, name: str) -> str:
        return f"set -q {name}; and set -g _SCRATCHENV_OLD_{name} ${name}"

    def restore_lines(self, name: str) -> list[str]:
        old = f"_SCRATCHENV_OLD_{name}"
        return [
            f"if set -q {old}",
            f"    set -gx {name} ${old}",
            f"    set -e -g {old}",
            "else",
            f"    set -e -g {name}",
            "end",
        ]

    def missing_root_lines(self, plan: Plan) -> str:
        lines = []
        for root in plan.roots:
            lines += [
                f"if not test -d {self.quote(root)}; and status is-interactive",
                f"    printf '%s\\n' {self.quote(missing_root_message(plan, root))} >&2",
                "end",
            ]
        return "\n".join(lines)

    def export_line(self, name: str, quoted_value: str) -> str:
        return f"set -gx {name} {quoted_value}"

    def prepend_line(self, name: str, quoted_entry: str) -> str:
        # fish splits a variable named *PATH on ':' when it is set, so `contains` misses an
        # entry holding ':' (a root like /scratch/a:b) and a nested fish would prepend it
        # again; "$PATH" joins the list with ':', and `string replace` matches literally.
        return (
            f'string replace -q -- :{quoted_entry}: "" ":${name}:"; '
            f"or set -gx {name} {quoted_entry} ${name}"
        )

    def node_tmp_lines(self) -> list[str]:
        return [
            "set -g _scratchenv_node_tmp",
            'if test -n "$SLURM_JOB_ID"',
            '    test -n "$TMPDIR"; and set _scratchenv_node_tmp $TMPDIR',
            '    test -n "$SLURM_TMPDIR"; and set _scratchenv_node_tmp $SLURM_TMPDIR',
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
