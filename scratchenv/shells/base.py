"""What every renderer shares: the interface, and filling a template with quoted values."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from string import Template

from scratchenv import __version__
from scratchenv.plan import Plan


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
        text = resources.files("scratchenv").joinpath("templates", template_name).read_text()
        return Template(text).substitute(version=__version__, **values)


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
