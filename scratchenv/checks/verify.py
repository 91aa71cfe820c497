"""`verify`: every check of the live environment (os.environ and the disk) against the
Plan, run in report order into a Report.

Each check is a small function `check(ctx) -> list[Finding]` in a module of its own job
(roots, space, dotenv, variables, path, venv, home_usage, script, probes); `CHECKS` lists
them in the order a report shows them, so adding one is one line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

from scratchenv.checks.dotenv import check_dotenv
from scratchenv.checks.findings import Check, Context, Finding, Report
from scratchenv.checks.home_usage import check_home_usage
from scratchenv.checks.path import check_path
from scratchenv.checks.roots import check_root
from scratchenv.checks.space import check_free_space
from scratchenv.checks.variables import check_variables
from scratchenv.checks.venv import check_venv
from scratchenv.plan import Plan
from scratchenv.realpaths import one_look

TYPE_CHECKING = False  # not `typing`: verify's fast path does without it
if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "CHECKS", "check_dotenv", "check_free_space", "check_home_usage", "check_path",
    "check_root", "check_script", "check_tools", "check_variables", "check_venv",
    "checklist_checks", "verify",
]


def check_script(ctx: Context) -> list[Finding]:
    """With --script: the job script against the Plan's variables (script.py)."""
    if ctx.script is None:
        return []
    from scratchenv.checks import script

    return script.check_script(ctx)


def check_tools(ctx: Context) -> list[Finding]:
    """With --deep: ask each installed tool where it will write (probes.py)."""
    if not ctx.deep:
        return []
    from scratchenv.checks import probes

    return probes.findings(ctx)


CHECKS: list[Check] = [
    check_free_space,
    check_root,
    check_dotenv,
    check_variables,
    check_path,
    check_venv,
    check_home_usage,
    check_script,
    check_tools,
]
"""Every check `verify` runs, in report order."""


def checklist_checks(plan: Plan) -> list[Check]:
    """The pre-submission checklist: the project's data and venv, Cargo, rustup, uv
    and pip on scratch; home under the limit (a failure here); room on scratch."""
    names = ["CARGO_HOME", "RUSTUP_HOME", "UV_CACHE_DIR", "PIP_CACHE_DIR"]
    layout = plan.project_layout
    if layout is not None:
        names = [layout.data_var, layout.venv_var, *names]
    return [
        partial(check_variables, only=names),
        partial(_project_configured, has_project=layout is not None),
        partial(check_home_usage, over="fail"),
        check_free_space,
    ]


def _project_configured(ctx: Context, *, has_project: bool) -> list[Finding]:
    if has_project:
        return []
    return [Finding(check="project.set", subject="project", status="skip",
                    message="no project set: its data and venv variables are not checked",
                    fix="export SCRATCHENV_PROJECT=nanochat")]


def verify(
    plan: Plan,
    environ: Mapping[str, str],
    *,
    need: int | None = None,
    deep: bool = False,
    script: Path | None = None,
    strict: bool = False,
    checks: Sequence[Check] | None = None,
) -> Report:
    """Run `checks` (default: CHECKS) for `plan` on `environ` and the disk; never raises for
    a failure.

    `need`: bytes the root must have free (default: thresholds.min_free). `deep`: also ask
    the installed tools (their probes run with `environ` on top of this process's env).
    `script`: a job script to scan for lines that undo the settings; with `strict`, a line
    whose effect cannot be told statically fails instead of warning.
    """
    ctx = Context(plan, environ, need=need, deep=deep, script=script, strict=strict)
    findings: list[Finding] = []
    with one_look():
        for check in CHECKS if checks is None else checks:
            findings += check(ctx)
    return Report(findings=findings)
