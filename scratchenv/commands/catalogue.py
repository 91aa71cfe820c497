from __future__ import annotations

import argparse

from scratchenv.commands import settings_from

HELP = "list the catalogue: every variable, its place under the root, its default and docs"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", action="store_true",
                        help="the shipped catalogue, opt-in entries too, ignoring your "
                        "disable/enable/vars settings")


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.config.catalogue import load_default

    catalogue = load_default() if args.all else settings_from(args).catalogue()
    rows = [
        (e.var, e.tool, ("~/" if e.anchor == "home" else "{root}/") + e.path,
         e.default or "-",
         ("opt-in (enable) " if e.opt_in else "") + ("node-local " if e.node_local else "")
         + e.docs)
        for e in catalogue.entries
    ]
    output.table(rows, headers=("VARIABLE", "TOOL", "LOCATION", "DEFAULT", "DOCS"))
    return 0
