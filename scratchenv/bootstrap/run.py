"""`scratchenv bootstrap`: the steps for these options, walked under the Plan's environment.

What `setup_environment.sh` did by hand: the directories activation cannot work without,
the project venv, rustup + Cargo.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from scratchenv import output, proc
from scratchenv.bootstrap.rust import RustupStep, ToolchainStep
from scratchenv.bootstrap.steps import (
    BootstrapReport,
    DirectoryStep,
    RunContext,
    Step,
    StepOutcome,
    StepResult,
    open_log,
    run_steps,
)
from scratchenv.bootstrap.venv import RequirementsStep, VenvStep, find_python, find_uv
from scratchenv.errors import ConfigError
from scratchenv.plain import record
from scratchenv.plan import Plan
from scratchenv.realpaths import nearest_existing


@record
class Options:
    """What to bootstrap and how (the command line's flags)."""

    venv: bool = True
    rust: bool = True
    requirements: Path | None = None
    python: str | None = None
    """Interpreter for the venv: a path or a name on PATH (default: python3)."""
    use_uv: bool | None = None
    """None: uv when it is available; True: uv or fail; False: `python -m venv` and pip."""
    rustup_init: str | None = None
    toolchain: str = "stable"
    """Rust toolchain to install and make the default; "none" installs rustup alone."""
    repair: bool = False
    dry_run: bool = False
    verbose: bool = False


def plan_steps(plan: Plan, environ: Mapping[str, str], options: Options,
               venv_var: str = "VENV_PATH") -> tuple[list[Step], dict[str, str], list[str]]:
    """The steps to walk, the child environment, and the directories left to their tools;
    ConfigError for bad input, before any change is made."""
    env = plan.apply(environ)
    venv_change = plan.get(venv_var)
    steps: list[Step] = []
    left: list[str] = []
    made: set[str] = set()  # one step per directory, however many variables name it
    for change in plan.variables:
        entry = change.entry
        # Only scratch: what the catalogue pins in home on purpose is not bootstrap's to make.
        if entry is None or entry.kind != "dir" or entry.anchor != "root" or \
                change is venv_change:
            continue
        value = plan.value_in(change, environ)
        if value is None or value in made:
            continue
        made.add(value)
        # Tools make their own directories (under the private root); only those a tool
        # needs to exist beforehand are made here. The venv and rustup are steps of their own.
        if entry.must_exist:
            steps.append(DirectoryStep(Path(value)))
        elif change.name not in ("CARGO_HOME", "RUSTUP_HOME") or not options.rust:
            left.append(value)
    if options.venv:
        if venv_change is None:
            raise ConfigError(f"no venv to bootstrap: {venv_var} is not in the plan; "
                              "set a project (--project NAME or SCRATCHENV_PROJECT)")
        steps += _venv_steps(Path(venv_change.value), options, env)
    elif options.requirements is not None:
        raise ConfigError("-r/--requirements installs into the venv: bootstrap the venv too")
    if options.rust:
        steps += _rust_steps(plan, options)
    return steps, env, left


def _venv_steps(path: Path, options: Options, env: dict[str, str]) -> list[Step]:
    python = find_python(options.python)
    uv = find_uv(options.use_uv)
    if uv and "UV_LINK_MODE" not in env:
        cache = env.get("UV_CACHE_DIR")
        if cache and os.stat(nearest_existing(cache)).st_dev != \
                os.stat(nearest_existing(path)).st_dev:
            # uv hard-links from its cache into venvs; across file systems it must copy.
            env["UV_LINK_MODE"] = "copy"
    venv = VenvStep(path, python, uv)
    steps: list[Step] = [venv]
    if options.requirements is not None:
        requirements = options.requirements.expanduser().absolute()
        if not requirements.is_file():
            what = "is not a file" if requirements.exists() else "not found"
            raise ConfigError(f"requirements file {options.requirements} {what}")
        steps.append(RequirementsStep(venv, requirements, uv))
    return steps


def _rust_steps(plan: Plan, options: Options) -> list[Step]:
    cargo, rustup_home = plan.get("CARGO_HOME"), plan.get("RUSTUP_HOME")
    if cargo is None or rustup_home is None:
        raise ConfigError("--rust needs CARGO_HOME and RUSTUP_HOME in the catalogue "
                          "(remove cargo/rustup from `disable`)")
    installer = options.rustup_init
    if installer is not None:
        if not (os.path.isfile(installer) and os.access(installer, os.X_OK)):
            raise ConfigError(f"--rustup-init {installer}: not an executable file")
        installer = os.path.abspath(installer)
    else:
        installer = proc.which("rustup-init")
    rustup = RustupStep(Path(cargo.value), installer)
    steps: list[Step] = [rustup]
    if options.toolchain != "none":
        steps.append(ToolchainStep(rustup, options.toolchain))
    return steps

def bootstrap(plan: Plan, environ: Mapping[str, str], options: Options,
              *, echo: Callable[[str], None] = output.say) -> BootstrapReport:
    """Bring the scratch root up: directories, then the venv, then rustup; see Options."""
    venv_var = plan.project_layout.venv_var if plan.project_layout else "VENV_PATH"
    steps, env, left = plan_steps(plan, environ, options, venv_var)
    root = Path(plan.root)
    # The root holds the log, so it is made before the steps run, as a step of its own.
    created: StepResult = "kept" if root.is_dir() else \
        "would create" if options.dry_run else "created"
    with open_log(root, options.dry_run, echo, options.verbose) as log:
        log.line(f"scratch root {root}: {created}")
        report = BootstrapReport(outcomes=[StepOutcome(f"scratch root {root}", created)],
                                 left_to_tools=[path for path in left
                                                if not os.path.isdir(path)])
        ctx = RunContext(env, log, root)
        return run_steps(steps, ctx, repair=options.repair, dry_run=options.dry_run,
                         report=report)

