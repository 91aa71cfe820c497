from __future__ import annotations

import argparse
import os

from scratchenv.commands import settings_from

HELP = "show what is set, to where and why; or print it as sh, fish, dotenv or json"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=("table", "sh", "fish", "dotenv", "json"), default="table",
        help="table (default) for people; sh/fish for eval; dotenv for scratch.env; json",
    )


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.config.settings import source_of
    from scratchenv.plan import build_plan
    from scratchenv.shells import renderer

    settings = settings_from(args)
    plan = build_plan(settings)
    if args.format != "table":
        output.write(renderer(args.format).render(plan, os.environ))
        return 0
    flags = {"root": args.root, "project": args.project}
    output.say(f"scratch root: {plan.root} ({_root_source(flags)})")
    project_from = source_of("project", flags) if settings.project else ""
    rows = []
    for change in plan.variables:
        value = plan.value_in(change, os.environ)
        entry = change.entry
        why = f"{entry.tool}: {entry.docs}" if entry else "activate_venv"
        if entry is not None and entry.tool == "project":
            why = f"project {settings.project} ({project_from})"
        if value is None:
            value, why = os.environ.get(change.name, ""), "kept: set by the site (keep_site_values)"
        elif change.node_local and value != change.value:
            why = f"{why} (node-local in this job)"
        rows.append((change.name, value, why))
    rows += [(p.name, f"{p.entry}:${p.name}", "prepended") for p in plan.path_entries]
    output.table(rows, headers=("VARIABLE", "VALUE", "WHY"))
    return 0


def _root_source(flags: dict[str, str | None]) -> str:
    from scratchenv.config.settings import source_of

    source = source_of("root", flags)
    return "detected" if source == "default" else source
