"""`verify --deep`: ask the installed tools themselves where they will write.

Each probe runs the tool (or a `python -c` importing it) in the environment under test,
through proc.py with a timeout, and reports paths; a tool that is not installed is skipped.
Probes run side by side: each mostly waits for an interpreter to import a big package.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from scratchenv.plain import record
from scratchenv.realpaths import is_within, same_place

if TYPE_CHECKING:
    from scratchenv.checks.findings import Context, Finding

TIMEOUT = 60.0
MISSING = 97
"""Exit code of a python probe whose module does not import."""


@record
class Probe:
    tool: str
    argv: tuple[str, ...]
    """`{python}` stands for the environment's python."""
    governs: Mapping[str, str]
    """Reported label -> the Plan variable that decides it (for the fix)."""


def _python_probe(module: str, body: str) -> tuple[str, ...]:
    code = (
        "import json, sys\n"
        f"try:\n    import {module}\nexcept Exception:\n    sys.exit({MISSING})\n"
        f"{body}\n"
        "print(json.dumps({k: str(v) for k, v in found.items() if v is not None}))\n"
    )
    return ("{python}", "-c", code)


PROBES: tuple[Probe, ...] = (
    Probe("pip", ("{python}", "-m", "pip", "cache", "dir"), {"cache": "PIP_CACHE_DIR"}),
    Probe("uv", ("uv", "cache", "dir"), {"cache": "UV_CACHE_DIR"}),
    Probe("huggingface_hub", _python_probe(
        "huggingface_hub.constants",
        "c = huggingface_hub.constants\n"
        "found = {'HF_HOME': c.HF_HOME, 'HF_HUB_CACHE': c.HF_HUB_CACHE,\n"
        "         'HF_ASSETS_CACHE': c.HF_ASSETS_CACHE,\n"
        "         'HF_XET_CACHE': getattr(c, 'HF_XET_CACHE', None),\n"
        "         'HF_TOKEN_PATH': c.HF_TOKEN_PATH}"),
        {"HF_HOME": "HF_HOME", "HF_HUB_CACHE": "HF_HOME", "HF_ASSETS_CACHE": "HF_HOME",
         "HF_XET_CACHE": "HF_HOME", "HF_TOKEN_PATH": "HF_TOKEN_PATH"}),
    Probe("datasets", _python_probe(
        "datasets.config",
        "c = datasets.config\n"
        "found = {'HF_DATASETS_CACHE': c.HF_DATASETS_CACHE,\n"
        "         'HF_MODULES_CACHE': c.HF_MODULES_CACHE}"),
        {"HF_DATASETS_CACHE": "HF_HOME", "HF_MODULES_CACHE": "HF_HOME"}),
    Probe("torch", _python_probe("torch.hub", "found = {'hub': torch.hub.get_dir()}"),
          {"hub": "TORCH_HOME"}),
    Probe("matplotlib", _python_probe("matplotlib", "found = {'cache': matplotlib.get_cachedir()}"),
          {"cache": "XDG_CACHE_HOME"}),
    Probe("wandb", _python_probe("wandb.env", "found = {'cache': wandb.env.get_cache_dir()}"),
          {"cache": "XDG_CACHE_HOME"}),
    Probe("rustup", ("rustup", "show", "home"), {"home": "RUSTUP_HOME"}),
)


@record
class Answer:
    """What one probe said: paths by label, or why there are none."""

    probe: Probe
    paths: dict[str, str]
    skipped: str | None = None
    error: str | None = None


def python_of(environ: Mapping[str, str]) -> str | None:
    """The python the environment under test runs: its venv's, else python3 on its PATH."""
    venv = environ.get("VIRTUAL_ENV")
    if venv and os.access(os.path.join(venv, "bin", "python"), os.X_OK):
        return os.path.join(venv, "bin", "python")
    return shutil.which("python3", path=environ.get("PATH", "")) or None


def ask(probe: Probe, environ: Mapping[str, str], python: str | None) -> Answer:
    """Run one probe in `environ`; never raises."""
    from scratchenv import proc
    from scratchenv.errors import ScratchenvError

    if probe.argv[0] == "{python}":
        if python is None:
            return Answer(probe, {}, skipped="no python on PATH")
        argv = [python, *probe.argv[1:]]
    else:
        found = shutil.which(probe.argv[0], path=environ.get("PATH", ""))
        if found is None:
            return Answer(probe, {}, skipped=f"{probe.argv[0]} is not installed")
        argv = [found, *probe.argv[1:]]
    try:
        # In a directory only root can write: `python -c` imports from its working
        # directory, rustup obeys a rust-toolchain.toml there. Not -I: the environment
        # under test (PYTHONPATH, the user site) is what is asked about.
        result = proc.run(argv, env=dict(environ), timeout=TIMEOUT, cwd=proc.SAFE_CWD)
    except ScratchenvError as error:
        return Answer(probe, {}, error=str(error))
    if not result.ok:
        if result.returncode == MISSING or "No module named" in result.stderr:
            return Answer(probe, {}, skipped=f"{probe.tool} is not installed")
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return Answer(probe, {}, error=f"exit {result.returncode}: {last}")
    # The answer is the last line: a module may print before it ("Matplotlib is building
    # the font cache").
    lines = result.stdout.strip().splitlines()
    if not lines:
        return Answer(probe, {}, error="it printed nothing")
    last = lines[-1].strip()
    if last.startswith("{"):
        try:
            return Answer(probe, json.loads(last))
        except ValueError:
            return Answer(probe, {}, error=f"unreadable answer {last!r}")
    return Answer(probe, {next(iter(probe.governs)): last})


def findings(ctx: Context) -> list[Finding]:
    """One finding per path each installed tool reports; skips for tools not installed."""
    from scratchenv.checks.findings import Finding

    python = python_of(ctx.environ)
    result = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda probe: ask(probe, ctx.environ, python), PROBES))
    for answer in answers:
        tool = answer.probe.tool
        if answer.skipped:
            result.append(Finding(check="tool.location", subject=tool, status="skip",
                                  message=answer.skipped))
        elif answer.error:
            result.append(Finding(check="tool.location", subject=tool, status="warn",
                                  message=f"could not ask {tool}: {answer.error}"))
        for label, path in answer.paths.items():
            result.append(_judge(ctx, tool, label, path, answer.probe.governs.get(label, "")))
    return result


def _judge(ctx: Context, tool: str, label: str, path: str, variable: str) -> Finding:
    from scratchenv.checks.findings import Finding, export_line

    change = ctx.plan.get(variable)
    fix = None
    if change is not None:
        fix = export_line(variable, ctx.plan.exported_in(change, ctx.environ) or change.exported)
    said = f"{tool} {label}: {path}"
    if change is not None and change.entry is not None and change.entry.anchor == "home":
        if same_place(path, change.value):
            return Finding(check="tool.location", subject=tool, status="pass",
                           message=f"{said} (pinned)")
        return Finding(check="tool.location", subject=tool, status="fail", fix=fix,
                       message=f"{said}, not where {variable} is pinned ({change.value})")
    node_tmp = ctx.plan.node_dir(ctx.environ)
    if is_within(path, ctx.root) or (node_tmp is not None and is_within(path, node_tmp)):
        return Finding(check="tool.location", subject=tool, status="pass",
                       message=f"{said} (on scratch)")
    persistent = ctx.plan.persistent_root
    if persistent is not None and is_within(path, persistent):
        return Finding(check="tool.location", subject=tool, status="pass",
                       message=f"{said} (on the persistent root)")
    where = "inside home" if is_within(path, ctx.home) else "outside scratch"
    return Finding(check="tool.location", subject=tool, status="fail",
                   message=f"{said} is {where}", fix=fix or f"set {variable or 'its variable'}")
