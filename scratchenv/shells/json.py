"""json: a flat {"VAR": "value"} object of everything exported, for CI and other programs."""

from __future__ import annotations

import json
from collections.abc import Mapping

from scratchenv.plan import Plan, apply_changes
from scratchenv.shells.base import Renderer


class JsonRenderer(Renderer):
    name = "json"

    def quote(self, value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    def render(self, plan: Plan, environ: Mapping[str, str], *, inputs: str = "") -> str:
        changes = plan.resolved(environ)
        after = apply_changes(changes, environ)
        names = dict.fromkeys(change.name for change in changes)
        flat = {name: after[name] for name in names}
        return json.dumps(flat, indent=2, ensure_ascii=False) + "\n"


RENDERER = JsonRenderer
