"""`scratchenv taskprolog`: what a site's Slurm TaskProlog runs, as the job's user, before
every task: the `export` lines of that user's scratch environment (their own settings when
they have them, the site config's otherwise). It never fails a job: a problem is one line
on stderr, no variables, and exit 0. Slurm drops a TaskProlog's stderr, so under Slurm
(SLURM_TASK_PID set) the line also goes to the job's output through Slurm's `print`."""

from __future__ import annotations

import argparse

HELP = "for a site's Slurm TaskProlog: print the job user's scratch environment as " \
       "`export NAME=value` lines (never fails: a problem is one line on stderr)"


def configure(parser: argparse.ArgumentParser) -> None:
    del parser  # no options: Slurm runs the TaskProlog without arguments


def run(args: argparse.Namespace) -> int:
    from scratchenv import output

    try:
        text = task_environment(args)
    except Exception as problem:  # noqa: BLE001 - a job must start whatever went wrong
        reason = " ".join(str(problem).split()) or type(problem).__name__
        tell(f"no scratch environment for this task: {reason}")
        return 0
    output.write(text)
    return 0


def tell(message: str) -> None:
    """One line on stderr, and in the job's output when Slurm runs this as its TaskProlog."""
    import os

    from scratchenv import output

    output.warn(f"taskprolog: {message}")
    if os.environ.get("SLURM_TASK_PID"):
        output.write(f"print scratchenv: warning: taskprolog: {message}\n")


def task_environment(args: argparse.Namespace) -> str:
    """The export lines for this task's environment; the user's node-local directory is
    made (0700) first, and when it cannot be, or is not theirs alone, the node-local caches
    stay on scratch (said on stderr)."""
    import os

    from scratchenv.commands import settings_from
    from scratchenv.fsutil import ensure_private_dir
    from scratchenv.plan import build_plan
    from scratchenv.shells import renderer

    plan = build_plan(settings_from(args))
    environ = dict(os.environ)
    node_dir = plan.node_dir(environ)
    if node_dir is not None and any(change.node_local for change in plan.variables):
        problem = ensure_private_dir(node_dir)
        if problem is not None:
            tell(f"node-local directory {node_dir} {problem}: node-local caches stay on "
                 "scratch")
            del environ["SLURM_JOB_ID"]  # decided as outside a job: on scratch
    return renderer("taskprolog").render(plan, environ)
