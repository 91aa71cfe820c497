"""What every renderer shares: the interface, and filling a template with quoted values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from string import Template

from scratchenv import __version__
from scratchenv.plan import NODE_LOCAL_DIR, Plan, PrependPath, SetVar


class Renderer:
    """Turns a Plan into text for one shell or format. Subclasses override `quote` and
    the pieces of syntax they need; nothing else in scratchenv writes shell syntax."""

    name = ""

    def quote(self, value: str) -> str:
        raise NotImplementedError

    def render(self, plan: Plan, environ: Mapping[str, str], *, inputs: str = "") -> str:
        """The text for `plan`. `environ` decides values only static formats fix at render
        time; `inputs` is the freshness line activation embeds in its header."""
        raise NotImplementedError

    @staticmethod
    def fill(template_name: str, **values: str) -> str:
        text = resources.files("scratchenv.shells").joinpath("templates", template_name).read_text()
        return Template(text).substitute(version=__version__, **values)


class ShellRenderer(Renderer):
    """An activation script: save, set, and a deactivate function that restores.

    The algorithm lives here; each shell supplies only its syntax through the small
    methods below and its template (templates/activate.<template>)."""

    template = ""

    def render(self, plan: Plan, environ: Mapping[str, str], *, inputs: str = "") -> str:
        names = [change.name for change in plan.variables]
        if plan.path_entries:
            names.append("PATH")
        return self.fill(
            f"activate.{self.template}",
            shell=self.name,
            inputs=inputs,
            root_comment=comment_safe(plan.root),
            guard=self.guard_lines(),
            restore=indent([line for name in names for line in self.restore_lines(name)], 2),
            missing_root=self.missing_root_lines(plan) if plan.warn_missing_root else "",
            save="\n".join(self.save_line(name) for name in names),
            apply="\n".join(self._apply(plan)),
        )

    def _apply(self, plan: Plan) -> list[str]:
        node_local = any(change.node_local for change in plan.variables)
        lines = self.node_tmp_lines() if node_local else []
        for change in plan.changes:
            if isinstance(change, SetVar):
                lines += self._set(change)
            elif isinstance(change, PrependPath):
                lines.append(self.prepend_line(change.name, self._entry(plan, change)))
        if node_local:
            lines.append(self.node_tmp_cleanup())
        return lines

    def _entry(self, plan: Plan, change: PrependPath) -> str:
        """The quoted entry; under a variable that may keep its site value, it follows that
        variable as the shell has it by then."""
        owner = plan.get(change.var) if change.var else None
        if owner is None or not owner.keep_site_value:
            return self.quote(change.entry)
        return self.variable(owner.name) + self.quote(f"/{change.suffix}")

    def _set(self, change: SetVar) -> list[str]:
        lines = [self.export_line(change.name, self.quote(change.value))]
        if change.node_local is not None:
            suffix = self.quote(f"/{NODE_LOCAL_DIR}/{change.node_local}")
            lines = self.if_node_tmp(self.export_line(change.name, NODE_TMP + suffix), lines[0])
        if change.keep_site_value:
            # A value outside home came from the site: it stands (keep_site_values).
            lines = self.unless_site_value(change.name, lines)
        return lines

    # The syntax each shell supplies.

    def guard_lines(self) -> str:
        """Lines that refuse to run when the file is executed instead of sourced."""
        return ""

    def save_line(self, name: str) -> str:
        raise NotImplementedError

    def restore_lines(self, name: str) -> list[str]:
        raise NotImplementedError

    def missing_root_lines(self, plan: Plan) -> str:
        raise NotImplementedError

    def export_line(self, name: str, quoted_value: str) -> str:
        raise NotImplementedError

    def prepend_line(self, name: str, quoted_entry: str) -> str:
        raise NotImplementedError

    def variable(self, name: str) -> str:
        """The quoted value of the variable `name`, expanded as one word."""
        return f'"${name}"'

    def node_tmp_lines(self) -> list[str]:
        """Set the variable NODE_TMP expands to: the job's node-local dir, else empty."""
        raise NotImplementedError

    def node_tmp_cleanup(self) -> str:
        raise NotImplementedError

    def if_node_tmp(self, then: str, otherwise: str) -> list[str]:
        raise NotImplementedError

    def unless_site_value(self, name: str, lines: list[str]) -> list[str]:
        raise NotImplementedError


NODE_TMP = '"$_scratchenv_node_tmp"'
"""How every shell's script refers to the node-local directory it computed."""


_BARE_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


def is_bare_safe(value: str) -> bool:
    """True when `value` means itself unquoted in every shell (the common case: a path)."""
    return _BARE_SAFE.fullmatch(value) is not None


def indent(lines: list[str], depth: int) -> str:
    pad = "    " * depth
    return "\n".join(pad + line if line else line for line in lines)


def missing_root_message(plan: Plan) -> str:
    return (
        f"scratchenv: scratch root {plan.root} is missing (not mounted on this node?); "
        "caches still point there"
    )


def comment_safe(text: str) -> str:
    """Text made safe for a one-line comment (a root may hold a newline)."""
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
