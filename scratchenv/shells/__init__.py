"""Renderers: one module per output format, each the only place that knows its syntax.

registry.py lists them all (cheap to import: the login path reads it).
May import: the frame modules, config, plan.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing`: the login path imports this package
if TYPE_CHECKING:
    from scratchenv.shells.base import Renderer, ShellRenderer


def renderer(name: str) -> Renderer:
    """The renderer for a shell or format name in the registry."""
    import importlib

    from scratchenv.shells.registry import BY_NAME

    module = importlib.import_module(f"scratchenv.shells.{BY_NAME[name].module}")
    cls: type[Renderer] = module.RENDERER
    return cls()


def shell_renderer(name: str) -> ShellRenderer:
    """The renderer of a login shell (one `activate` and `init` serve)."""
    from scratchenv.shells.base import ShellRenderer

    found = renderer(name)
    if not isinstance(found, ShellRenderer):
        raise ValueError(f"{name} is not a login shell")
    return found
