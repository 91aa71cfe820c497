"""POSIX sh: the activation script bash and zsh share (they add only a sourced-check)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from scratchenv.plan import NODE_LOCAL_DIR, Plan, PrependPath, SetVar
from scratchenv.shells.base import Renderer, comment_safe, indent, missing_root_message

_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


class PosixRenderer(Renderer):
    name = "sh"
    guard = ""
    """Lines that refuse to run when the file is executed instead of sourced."""

    def quote(self, value: str) -> str:
        """Bare when safe, else single quotes (`'` as `'\\''`): byte-exact, expands nothing."""
        if _SAFE.fullmatch(value):
            return value
        return "'" + value.replace("'", "'\\''") + "'"

    def render(self, plan: Plan, environ: Mapping[str, str], *, inputs: str = "") -> str:
        names = [change.name for change in plan.variables]
        if plan.path_entries:
            names.append("PATH")
        return self.fill(
            "activate.sh",
            shell=self.name,
            inputs=inputs,
            root_comment=comment_safe(plan.root),
            guard=self.guard,
            restore=indent([line for name in names for line in self._restore(name)], 2),
            missing_root=self._missing_root(plan),
            save="\n".join(line for name in names for line in self._save(name)),
            apply="\n".join(self._apply(plan)),
        )

    def _save(self, name: str) -> list[str]:
        return [f'if [ -n "${{{name}+x}}" ]; then _SCRATCHENV_OLD_{name}=${name}; fi']

    def _restore(self, name: str) -> list[str]:
        old = f"_SCRATCHENV_OLD_{name}"
        return [
            f'if [ -n "${{{old}+x}}" ]; then',
            f'    {name}=${old}; export {name}; unset {old}',
            "else",
            f"    unset {name}",
            "fi",
        ]

    def _missing_root(self, plan: Plan) -> str:
        if not plan.warn_missing_root:
            return ""
        message = self.quote(missing_root_message(plan))
        return "\n".join([
            f"if [ ! -d {self.quote(plan.root)} ]; then",
            f"    case $- in *i*) printf '%s\\n' {message} >&2 ;; esac",
            "fi",
        ])

    def _apply(self, plan: Plan) -> list[str]:
        lines: list[str] = []
        node_local = any(change.node_local for change in plan.variables)
        if node_local:
            lines += [
                "_scratchenv_node_tmp=",
                'if [ -n "${SLURM_JOB_ID:-}" ]; then',
                "    _scratchenv_node_tmp=${SLURM_TMPDIR:-${TMPDIR:-}}",
                "fi",
            ]
        for change in plan.changes:
            if isinstance(change, SetVar):
                lines += self._set(change)
            elif isinstance(change, PrependPath):
                entry = self.quote(change.entry)
                lines.append(
                    f'case ":${{{change.name}:-}}:" in *:{entry}:*) ;; '
                    f'*) {change.name}={entry}${{{change.name}:+":${change.name}"}}; '
                    f"export {change.name} ;; esac"
                )
        if node_local:
            lines.append("unset _scratchenv_node_tmp")
        return lines

    def _set(self, change: SetVar) -> list[str]:
        export = f"export {change.name}={self.quote(change.value)}"
        if change.node_local is not None:
            suffix = self.quote(f"/{NODE_LOCAL_DIR}/{change.node_local}")
            export = "\n".join([
                'if [ -n "$_scratchenv_node_tmp" ]; then',
                f'    export {change.name}="$_scratchenv_node_tmp"{suffix}',
                "else",
                f"    {export}",
                "fi",
            ])
        if change.keep_site_value:
            # A value outside home came from the site: it stands (keep_site_values).
            return [
                f'case "${{{change.name}:-}}" in ""|"${{HOME:-}}"|"${{HOME:-}}"/*)',
                indent(export.split("\n"), 1),
                ";; esac",
            ]
        return [export]
