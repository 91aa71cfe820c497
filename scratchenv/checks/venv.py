"""verify's venv checks: the project venv and the active venv are on a root and their
python runs; the checkout's .venv is not in home."""

from __future__ import annotations

import os
from functools import partial

from scratchenv.checks.findings import Context, Finding
from scratchenv.realpaths import is_within, same_place


def check_venv(ctx: Context) -> list[Finding]:
    """The project venv and the active venv are on scratch and their python runs."""
    venvs: dict[str, str] = {}
    layout = ctx.plan.project_layout
    if layout is not None and ctx.environ.get(layout.venv_var):
        venvs[layout.venv_var] = ctx.environ[layout.venv_var]
    active = ctx.environ.get("VIRTUAL_ENV")
    findings = []
    if active:
        under = next((root for root in ctx.plan.roots if is_within(active, root)), None)
        if under is not None:
            where = "on scratch" if under == ctx.root else "on the persistent root"
            findings.append(Finding(check="venv.active", subject="VIRTUAL_ENV", status="pass",
                                    message=f"the active venv {active} is {where}"))
        else:
            where = "inside home" if is_within(active, ctx.home) else "not on scratch"
            fix = "deactivate, then activate a venv under the scratch root"
            if os.path.basename(active.rstrip("/")) == ".venv":
                fix = f"deactivate; scratchenv link-venv {os.path.dirname(active.rstrip('/'))}"
            findings.append(Finding(check="venv.active", subject="VIRTUAL_ENV", status="fail",
                                    message=f"the active venv {active} is {where}", fix=fix))
        if not any(same_place(active, other) for other in venvs.values()):
            venvs["VIRTUAL_ENV"] = active
    for name, venv in venvs.items():
        findings.append(_python_runs(ctx, name, venv))
    return findings + _checkout_venv(ctx)


def _checkout_venv(ctx: Context) -> list[Finding]:
    """The `.venv` of the checkout verify runs in (the working directory or a parent below
    home): in home, `uv sync` fills home with it."""
    try:
        here = os.getcwd()
    except FileNotFoundError:
        return []
    while True:
        venv = os.path.join(here, ".venv")
        if os.path.lexists(venv):
            break
        parent = os.path.dirname(here)
        if parent == here or same_place(parent, ctx.home):
            return []
        here = parent
    found = partial(Finding, check="venv.checkout", subject=venv)
    if os.path.islink(venv) and not os.path.isdir(venv):
        return [found(status="fail",
                      message=f"{venv} is a link to {os.readlink(venv)}, which is gone "
                              "(purged or cleaned)",
                      fix=f"scratchenv link-venv {here}, then make the venv again "
                          "(uv venv; uv sync)")]
    if is_within(venv, ctx.root):
        return [found(status="pass", message=f"{venv} is on scratch")]
    if is_within(venv, ctx.home):
        return [found(status="fail", message=f"{venv} is inside home",
                      fix=f"scratchenv link-venv {here}")]
    return []


def _python_runs(ctx: Context, name: str, venv: str) -> Finding:
    from scratchenv import proc
    from scratchenv.errors import ScratchenvError

    found = partial(Finding, check="venv.python", subject=name)
    python = os.path.join(venv, "bin", "python")
    if not os.path.isdir(venv):
        return found(status="warn", message=f"no venv at {venv} yet",
                     fix="scratchenv bootstrap --venv")
    if not os.path.exists(python):
        return found(status="fail", message=f"{python} is missing or a broken link",
                     fix="scratchenv bootstrap --venv --repair")
    try:
        result = proc.run(proc.python_argv(python, "-c", "import sys; print(sys.prefix)"),
                          env=dict(ctx.environ), timeout=30, cwd=proc.SAFE_CWD)
    except ScratchenvError as error:
        return found(status="fail", message=str(error))
    if not result.ok:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return found(status="fail", message=f"{python} does not run: {last}",
                     fix="scratchenv bootstrap --venv --repair")
    return found(status="pass", message=f"{python} runs")
