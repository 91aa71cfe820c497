"""fish: its own quoting, `set -gx`, PATH as a list, `status is-interactive`."""

from __future__ import annotations

import re
from collections.abc import Mapping

from scratchenv.plan import NODE_LOCAL_DIR, Plan, PrependPath, SetVar
from scratchenv.shells.base import Renderer, comment_safe, indent, missing_root_message

_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


class FishRenderer(Renderer):
    name = "fish"

    def quote(self, value: str) -> str:
        """Bare when safe, else single quotes with `\\` and `'` escaped (fish's only escapes)."""
        if _SAFE.fullmatch(value):
            return value
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def render(self, plan: Plan, environ: Mapping[str, str], *, inputs: str = "") -> str:
        names = [change.name for change in plan.variables]
        if plan.path_entries:
            names.append("PATH")
        return self.fill(
            "activate.fish",
            inputs=inputs,
            root_comment=comment_safe(plan.root),
            restore=indent([line for name in names for line in self._restore(name)], 2),
            missing_root=self._missing_root(plan),
            save="\n".join(
                f"set -q {name}; and set -g _SCRATCHENV_OLD_{name} ${name}" for name in names
            ),
            apply="\n".join(self._apply(plan)),
        )

    def _restore(self, name: str) -> list[str]:
        old = f"_SCRATCHENV_OLD_{name}"
        return [
            f"if set -q {old}",
            f"    set -gx {name} ${old}",
            f"    set -e -g {old}",
            "else",
            f"    set -e -g {name}",
            "end",
        ]

    def _missing_root(self, plan: Plan) -> str:
        if not plan.warn_missing_root:
            return ""
        return "\n".join([
            f"if not test -d {self.quote(plan.root)}; and status is-interactive",
            f"    printf '%s\\n' {self.quote(missing_root_message(plan))} >&2",
            "end",
        ])

    def _apply(self, plan: Plan) -> list[str]:
        lines: list[str] = []
        node_local = any(change.node_local for change in plan.variables)
        if node_local:
            lines += [
                "set -g _scratchenv_node_tmp",
                'if test -n "$SLURM_JOB_ID"',
                '    test -n "$TMPDIR"; and set _scratchenv_node_tmp $TMPDIR',
                '    test -n "$SLURM_TMPDIR"; and set _scratchenv_node_tmp $SLURM_TMPDIR',
                "end",
            ]
        for change in plan.changes:
            if isinstance(change, SetVar):
                lines += self._set(change)
            elif isinstance(change, PrependPath):
                entry = self.quote(change.entry)
                lines.append(
                    f"contains -- {entry} ${change.name}; "
                    f"or set -gx {change.name} {entry} ${change.name}"
                )
        if node_local:
            lines.append("set -e -g _scratchenv_node_tmp")
        return lines

    def _set(self, change: SetVar) -> list[str]:
        lines = [f"set -gx {change.name} {self.quote(change.value)}"]
        if change.node_local is not None:
            suffix = self.quote(f"/{NODE_LOCAL_DIR}/{change.node_local}")
            lines = [
                'if test -n "$_scratchenv_node_tmp"',
                f'    set -gx {change.name} "$_scratchenv_node_tmp"{suffix}',
                "else",
                f"    {lines[0]}",
                "end",
            ]
        if change.keep_site_value:
            # A value outside home came from the site: it stands (keep_site_values).
            var = f'"${change.name}"'
            return [
                f'if test -z {var}; or test {var} = "$HOME"; '
                f'or string match -q -- "$HOME/*" {var}',
                indent(lines, 1),
                "end",
            ]
        return lines
