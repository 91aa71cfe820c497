from __future__ import annotations

import argparse
import os

from scratchenv.commands import flags_given, settings_from
from scratchenv.shells.registry import NAMES

HELP = "show what is set, to where and why; or print it as sh, fish, dotenv, json or a modulefile"

FORMATS = ("table", *NAMES)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=FORMATS, default="table",
        help="table (default) for people; sh/fish for eval; dotenv for scratch.env; json; "
        "lmod (Lua) or tcl (Environment Modules) for a site-wide modulefile; taskprolog for "
        "a Slurm TaskProlog (see `scratchenv taskprolog`)",
    )


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.config.sources import explain
    from scratchenv.plan import build_plan
    from scratchenv.units import format_size

    if args.format != "table":
        return _print_format(args)
    settings = settings_from(args)
    plan = build_plan(settings)
    settings_rows = []
    explained = explain(settings, flags_given(args))
    project_from = next(source for key, _, source in explained if key == "project")
    for key, shown, source in explained:
        if key.startswith("thresholds.") and shown.isdigit():
            shown = format_size(int(shown))
        settings_rows.append((key, shown, source))
    output.table(settings_rows, headers=("SETTING", "VALUE", "FROM"))
    output.say()
    output.say(f"scratch root: {plan.root}")
    if plan.persistent_root:
        output.say(f"persistent root: {plan.persistent_root}")
    rows = []
    for change in plan.variables:
        value = plan.exported_in(change, os.environ)
        entry = change.entry
        why = f"{entry.tool}: {entry.docs}" if entry else "activate_venv"
        if entry is not None and entry.tool == "project":
            why = f"project {settings.project} ({project_from})"
        if value is None:
            value, why = os.environ.get(change.name, ""), "kept: set by the site (keep_site_values)"
        elif change.node_local and value != change.exported:
            why = f"{why} (node-local in this job)"
        rows.append((change.name, value, why))
    rows += [(p.name, f"{p.entry}:${p.name}", "prepended") for p in plan.path_entries]
    output.table(rows, headers=("VARIABLE", "VALUE", "WHY"))
    for change in plan.variables:
        if change.entry is not None and change.entry.opt_in:
            output.say(f"enabled {change.entry.tool} ({change.name}): {change.entry.caveat}")
    return 0



def _print_format(args: argparse.Namespace) -> int:
    """The plan in one format; kept for the same inputs (login/cache.py), so the next
    `env --format X` prints it without building the settings."""
    from scratchenv.commands import global_flags
    from scratchenv.errors import ScratchenvError
    from scratchenv.login import cache, recorded
    from scratchenv.plan import build_plan
    from scratchenv.shells import renderer

    settings = settings_from(args)
    plan = build_plan(settings)
    warnings = []
    if args.format in ("lmod", "tcl") and plan.root_pattern is None:
        warnings.append(f"the root {plan.root} does not contain your user name, so the "
                        "modulefile has no root pattern: loading it needs $SCRATCH or "
                        "$SCRATCHENV_ROOT (set root_pattern, e.g. \"/scratch/{user}\")")
    environ = recorded.RecordingEnviron(os.environ)
    answer = cache.Answer(renderer(args.format).render(plan, environ), stderr=warnings)
    cache.say(answer)
    if global_flags(args):
        return 0  # the fast path answers `env --format X` alone
    try:
        found = recorded.file_system_inputs(settings, plan, os.environ)
        if found is not None:
            from scratchenv.config.trust import dotenv

            answer.names = tuple(sorted(environ.read))
            answer.paths, answer.shapes = (tuple(sorted(set(f))) for f in found)
            answer.notice = dotenv(None, os.environ).notice or ""
            cache.store(f"env-{args.format}", os.environ, os.getcwd(), answer)
    except (OSError, ScratchenvError):
        pass  # a cache that cannot be written is only slower
    return 0
