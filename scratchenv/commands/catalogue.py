from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from scratchenv.commands import settings_from

if TYPE_CHECKING:
    from scratchenv.config.catalogue import Entry

HELP = "list the catalogue: every variable, its place under the root, its default and docs"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", action="store_true",
                        help="the shipped catalogue, opt-in entries too, ignoring your "
                        "disable/enable/vars settings")


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.config.catalogue import load_default

    settings = None if args.all else settings_from(args)
    catalogue = load_default() if settings is None else settings.catalogue()

    def base(entry: Entry) -> str:
        if entry.anchor == "home":
            return "~/"
        persistent = settings is not None and settings.tier_of(entry.group) == "persistent"
        return "{persistent_root}/" if persistent else "{root}/"

    rows = [
        (e.var, e.tool, e.group, base(e) + e.path,
         e.default or "-",
         ("opt-in (enable) " if e.opt_in else "") + ("node-local " if e.node_local else "")
         + e.docs)
        for e in catalogue.entries
    ]
    output.table(rows, headers=("VARIABLE", "TOOL", "GROUP", "LOCATION", "DEFAULT", "DOCS"))
    return 0
