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
    from scratchenv.plan import build_plan
    from scratchenv.shells import renderer

    plan = build_plan(settings_from(args))
    if args.format != "table":
        output.write(renderer(args.format).render(plan, os.environ))
        return 0
    output.say(f"scratch root: {plan.root}")
    if plan.persistent_root:
        output.say(f"persistent root: {plan.persistent_root}")
    rows = []
    for change in plan.variables:
        value = plan.value_in(change, os.environ)
        entry = change.entry
        why = f"{entry.tool}: {entry.docs}" if entry else "activate_venv"
        if value is None:
            value, why = os.environ.get(change.name, ""), "kept: set by the site (keep_site_values)"
        elif change.node_local and value != change.value:
            why = f"{why} (node-local in this job)"
        rows.append((change.name, value, why))
    rows += [(p.name, f"{p.entry}:${p.name}", "prepended") for p in plan.path_entries]
    output.table(rows, headers=("VARIABLE", "VALUE", "WHY"))
    return 0
