"""`scratchenv taskprolog`: what a site's Slurm TaskProlog runs, as the job's user, before
every task: the `export` lines of that user's scratch environment (their own settings when
they have them, the site config's otherwise). It never fails a job: a problem is one line
on stderr, no variables, and exit 0. Slurm drops a TaskProlog's stderr, so under Slurm
(SLURM_TASK_PID set) the line also goes to the job's output through Slurm's `print`."""

from __future__ import annotations

import argparse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from scratchenv.config.settings import Settings
    from scratchenv.plan import Plan

HELP = "for a site's Slurm TaskProlog: print the job user's scratch environment as " \
       "`export NAME=value` lines (never fails: a problem is one line on stderr)"


def configure(parser: argparse.ArgumentParser) -> None:
    # Slurm runs the TaskProlog without arguments; --wrapper is for the site's admin.
    parser.add_argument("--wrapper", action="store_true",
                        help="print the /bin/sh program for slurm.conf's TaskProlog= that "
                             "runs this install (its Python, without site, on a kept answer)")


def run(args: argparse.Namespace) -> int:
    from scratchenv import output

    if getattr(args, "wrapper", False):
        output.write(wrapper())
        return 0
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
    stay on scratch (said on stderr). Kept for the next task (login/cache.py) unless
    something was said."""
    import os

    _site_packages()
    from scratchenv.commands import settings_from
    from scratchenv.fsutil import ensure_private_dir
    from scratchenv.plan import build_plan
    from scratchenv.shells import renderer

    settings = settings_from(args)
    plan = build_plan(settings)
    environ = dict(os.environ)
    node_dir = plan.node_dir(environ)
    problem = None
    if node_dir is not None and any(change.node_local for change in plan.variables):
        problem = ensure_private_dir(node_dir)
        if problem is not None:
            tell(f"node-local directory {node_dir} {problem}: node-local caches stay on "
                 "scratch")
            del environ["SLURM_JOB_ID"]  # decided as outside a job: on scratch
    text = renderer("taskprolog").render(plan, environ)
    if problem is None:
        _keep(settings, plan, text)
    return text


def wrapper() -> str:
    """The TaskProlog program for this install: its interpreter and the directory holding
    this package, as they are now."""
    import os
    import sys

    import scratchenv
    from scratchenv.errors import ConfigError
    from scratchenv.shells.taskprolog import wrapper as render

    if not sys.executable:
        raise ConfigError("cannot tell which Python runs scratchenv: sys.executable is empty")
    package = os.path.dirname(os.path.dirname(os.path.abspath(scratchenv.__file__)))
    return render(sys.executable, package, scratchenv.__version__)


def _site_packages() -> None:
    """The generated wrapper starts Python without site (`-S`: ~8 ms of every task); the
    validated path needs the install's site-packages, .pth files included (an editable
    install is one)."""
    import sys

    if sys.flags.no_site:
        import site

        site.main()


JOB_VARIABLES = ("SLURM_JOB_ID", "SLURM_TMPDIR", "TMPDIR")
"""What the node-local directory is made of that changes with every job (with the variables
the `node_local` setting names, e.g. $L_SCRATCH): a cached answer holds tokens for them."""


def _keep(settings: Settings, plan: Plan, text: str) -> None:
    """Keep the answer for the next task with the same inputs, the job's own values as
    tokens; only when putting this job's values back gives `text` exactly."""
    import os

    from scratchenv.errors import ScratchenvError
    from scratchenv.login import cache, recorded
    from scratchenv.shells import renderer

    # Not a variable the rendering reads for itself: only the node-local directory's.
    own = {change.name for change in plan.changes} | {"HOME"}
    job = {*JOB_VARIABLES, *(name for kind, name in plan.node_pieces if kind == "env")} - own
    if any(owner.node_local for change in plan.path_entries
           if change.var and (owner := plan.get(change.var))):
        return  # PATH's own value would decide whether a job's entry is added: not cached
    tokened = recorded.RecordingEnviron(
        {**os.environ, **{name: cache.job_token(name) for name in job if os.environ.get(name)}})
    try:
        shown = renderer("taskprolog").render(plan, tokened)
        node_dir = (plan.node_dir(tokened) or "") if any(
            change.node_local for change in plan.variables) else ""
        answer = cache.Answer(shown, node_dir=node_dir,
                              names=[*(name for name in tokened.read if name not in job),
                                     *(f"?{name}" for name in sorted(job))])
        found = recorded.file_system_inputs(
            settings, plan, {k: v for k, v in os.environ.items() if k not in job})
        if found is None or cache.job_text(answer, os.environ) != text:
            return
        answer.paths, answer.shapes = (tuple(sorted(set(f))) for f in found)
        cache.store("taskprolog", os.environ, os.getcwd(), answer)
    except (OSError, ScratchenvError):
        return  # a cache that cannot be written is only slower
