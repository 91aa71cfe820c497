"""Renderers: one module per output format, each the only place that knows its syntax."""

from __future__ import annotations

from scratchenv.shells.base import Renderer


def renderer(name: str) -> Renderer:
    """The renderer for a shell or format name (bash, zsh, sh, fish, dotenv, json, lmod, tcl)."""
    from scratchenv.shells import bash, dotenv, fish, json, lmod, posix, tcl, zsh

    table: dict[str, type[Renderer]] = {
        "bash": bash.BashRenderer,
        "zsh": zsh.ZshRenderer,
        "sh": posix.PosixRenderer,
        "fish": fish.FishRenderer,
        "dotenv": dotenv.DotenvRenderer,
        "json": json.JsonRenderer,
        "lmod": lmod.LmodRenderer,
        "tcl": tcl.TclRenderer,
    }
    return table[name]()

FORMATS = ("sh", "bash", "zsh", "fish", "dotenv", "json", "lmod", "tcl")
