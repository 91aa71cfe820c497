"""Bootstrap the scratch root: catalogue directories, the project venv, rustup + Cargo.

What `setup_environment.sh` did by hand, as small steps: each step checks whether it is
already done, does itself, and says what it runs. `bootstrap()` walks them in order with the
Plan's environment applied to every child (so pip's, uv's and Cargo's files land on scratch),
streams the tools' output, and keeps a log under `{root}/.scratchenv/logs/`. A re-run keeps
what is done; a broken venv is reported, and rebuilt with `repair`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from scratchenv import output, proc
from scratchenv.config.settings import Settings
from scratchenv.errors import ConfigError, ScratchenvError
from scratchenv.fsutil import atomic_write, makedirs_private
from scratchenv.plan import Plan, build_plan
from scratchenv.realpaths import nearest_existing

DIR_MODE = 0o700
STATE_DIR = ".scratchenv"
"""Under the root: scratchenv's own files (logs, the downloaded rustup-init)."""
REQUIREMENTS_STAMP = ".scratchenv-requirements"
"""In the venv: the hash of the requirements file last installed, so a re-run is a no-op."""


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class State:
    """What a step's check found: done, missing, or broken (and why)."""

    status: Literal["done", "missing", "broken"]
    reason: str = ""
    repairable: bool = True
    """False when repairing would mean deleting something that is not ours."""


DONE = State("done")
MISSING = State("missing")


class StepFailed(ScratchenvError):
    """A command of a step exited non-zero."""

    def __init__(self, argv: tuple[str, ...], code: int) -> None:
        super().__init__(f"`{_shell_words(argv)}` exited {code}")


class Log:
    """Progress lines and the tools' output: to the terminal and to the log file."""

    def __init__(self, handle: IO[str] | None, path: Path | None,
                 echo: Callable[[str], None]) -> None:
        self.handle = handle
        self.path = path
        self.echo = echo

    def line(self, text: str) -> None:
        self.echo(text)
        self.record(text)

    def child(self, text: str) -> None:
        self.echo(f"    {text}")
        self.record(f"    {text}")

    def record(self, text: str) -> None:
        """To the log file only."""
        if self.handle is not None:
            self.handle.write(text + "\n")
            self.handle.flush()


@dataclass
class RunContext:
    """What steps share: the child environment, the log, the root."""

    env: dict[str, str]
    log: Log
    root: Path

    def run(self, argv: list[str], *, cwd: str | None = None) -> proc.CommandResult:
        """Run a step's command with its output streamed; StepFailed when it fails."""
        self.log.line(f"  $ {_shell_words(argv)}")
        result = proc.stream(argv, env=self.env, cwd=cwd, on_line=self.log.child)
        if not result.ok:
            raise StepFailed(result.argv, result.returncode)
        return result

    def probe(self, argv: list[str]) -> proc.CommandResult:
        """Run a quiet check (no output shown); never raises for a non-zero exit."""
        return proc.run(argv, env=self.env, timeout=120)


class Step:
    """One unit of the bootstrap: `check` it, `do` it, `describe` what doing it runs.

    Subclasses set `name` and implement `check`, plus `command` when doing the step is
    running one command (then `describe` and `do` come for free).
    """

    name: str
    requires: Step | None = None
    """A step that must be in place first (the venv before its requirements)."""

    def check(self, ctx: RunContext) -> State:
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def describe(self) -> str:
        """What `do` runs, for progress lines and --dry-run."""
        return _shell_words(self.command())

    def do(self, ctx: RunContext) -> None:
        ctx.run(self.command())

    def clear(self, ctx: RunContext) -> None:
        """Remove a broken result before `do` runs again (default: `do` overwrites it)."""


class DirectoryStep(Step):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"directory {path}"

    def check(self, ctx: RunContext) -> State:
        if not self.path.exists():
            return MISSING
        if not self.path.is_dir():
            return State("broken", "exists but is not a directory; move it away",
                         repairable=False)
        owner = self.path.stat().st_uid
        if owner != os.getuid():
            return State("broken", f"owned by uid {owner}, not by you", repairable=False)
        return DONE

    def describe(self) -> str:
        return _shell_words(["mkdir", "-m", "700", "-p", str(self.path)])

    def do(self, ctx: RunContext) -> None:
        makedirs_private(self.path)


class VenvStep(Step):
    def __init__(self, path: Path, python: str, uv: str | None) -> None:
        self.path = path
        self.python = python
        self.uv = uv
        self.name = f"venv {path}"

    @property
    def interpreter(self) -> Path:
        return self.path / "bin" / "python"

    def check(self, ctx: RunContext) -> State:
        if not self.path.exists() or (self.path.is_dir() and not any(self.path.iterdir())):
            return MISSING
        if not (self.path / "pyvenv.cfg").is_file():
            return State("broken", "not a virtual environment (no pyvenv.cfg); move it away",
                         repairable=False)
        if not os.access(self.interpreter, os.X_OK):
            return State("broken", "its bin/python is gone or points at a deleted interpreter")
        if not (self.path / "bin" / "activate").is_file():
            # `python -m venv` writes the activate scripts last, after pip: a run stopped
            # halfway (^C, a full disk) left a venv without pip that looked whole.
            return State("broken", "incomplete (no bin/activate): its creation was interrupted")
        probe = ctx.probe([str(self.interpreter), "-c", "import sys; print(sys.prefix)"])
        if not probe.ok:
            last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
            return State("broken", f"its python does not run: {last}")
        return DONE

    def command(self) -> list[str]:
        if self.uv:
            return [self.uv, "venv", "--python", self.python, str(self.path)]
        return [self.python, "-m", "venv", str(self.path)]

    def do(self, ctx: RunContext) -> None:
        makedirs_private(self.path.parent)
        ctx.run(self.command())
        os.chmod(self.path, DIR_MODE)  # private like every directory bootstrap makes

    def clear(self, ctx: RunContext) -> None:
        # Only ever a tree that is a venv (check() refuses anything else).
        shutil.rmtree(self.path)


class RequirementsStep(Step):
    def __init__(self, venv: VenvStep, requirements: Path, uv: str | None) -> None:
        self.venv = venv
        self.requires = venv
        self.requirements = requirements
        self.uv = uv
        self.name = f"requirements {requirements}"

    @property
    def stamp(self) -> Path:
        return self.venv.path / REQUIREMENTS_STAMP

    def digest(self) -> str:
        return hashlib.sha256(self.requirements.read_bytes()).hexdigest()

    def check(self, ctx: RunContext) -> State:
        try:
            installed = self.stamp.read_text(encoding="utf-8").strip()
        except OSError:
            return MISSING
        return DONE if installed == self.digest() else MISSING

    def command(self) -> list[str]:
        python = str(self.venv.interpreter)
        if self.uv:
            return [self.uv, "pip", "install", "--python", python, "-r", str(self.requirements)]
        return [python, "-m", "pip", "install", "-r", str(self.requirements)]

    def do(self, ctx: RunContext) -> None:
        digest = self.digest()
        ctx.run(self.command())
        atomic_write(self.stamp, digest + "\n")


class RustupStep(Step):
    """rustup-init with CARGO_HOME and RUSTUP_HOME under scratch; never touches ~ or rc files."""

    name = "rustup"

    def __init__(self, cargo_home: Path, installer: str | None) -> None:
        self.cargo_home = cargo_home
        self.installer = installer
        """rustup-init given or found on PATH; None: the `rustup` wheel's binary."""

    @property
    def rustup(self) -> Path:
        return self.cargo_home / "bin" / "rustup"

    def check(self, ctx: RunContext) -> State:
        if not os.path.lexists(self.rustup):
            return MISSING
        if os.access(self.rustup, os.X_OK) and ctx.probe([str(self.rustup), "--version"]).ok:
            return DONE
        return State("broken", f"{self.rustup} does not run")

    def describe(self) -> str:
        words = _shell_words([self.installer or "rustup-init", "-y", "--no-modify-path",
                              "--default-toolchain", "none"])
        return words if self.installer else f"{words}  # rustup-init from PyPI's rustup package"

    def do(self, ctx: RunContext) -> None:
        installer = self.installer or str(rustup_init_from_wheel(ctx))
        # The toolchain is its own step, so a failed download keeps rustup installed.
        ctx.run([installer, "-y", "--no-modify-path", "--default-toolchain", "none"])


class ToolchainStep(Step):
    def __init__(self, rustup: RustupStep, toolchain: str) -> None:
        self.rustup = rustup
        self.requires = rustup
        self.toolchain = toolchain
        self.name = f"toolchain {toolchain}"

    def check(self, ctx: RunContext) -> State:
        listing = ctx.probe([str(self.rustup.rustup), "toolchain", "list"])
        names = [line.split()[0] for line in listing.stdout.splitlines() if line.strip()]
        wanted = self.toolchain
        return DONE if any(n == wanted or n.startswith(wanted + "-") for n in names) else MISSING

    def command(self) -> list[str]:
        # Installs the toolchain when it is missing, and makes it the default.
        return [str(self.rustup.rustup), "default", self.toolchain]


StepResult = Literal["created", "kept", "repaired", "broken", "skipped",
                 "would create", "would repair"]
READY = ("created", "kept", "repaired")


@dataclass(frozen=True)
class StepOutcome:
    step: str
    result: StepResult
    detail: str = ""


@dataclass
class BootstrapReport:
    outcomes: list[StepOutcome] = field(default_factory=list)
    failure: str | None = None
    """`step NAME failed: `COMMAND` exited N` when a step failed (the run stopped there)."""
    log: Path | None = None

    @property
    def ok(self) -> bool:
        return self.problem() is None

    def problem(self) -> str | None:
        """One line for the user when the run did not end well, else None."""
        if self.failure:
            return self.failure
        broken = [o.step for o in self.outcomes if o.result == "broken"]
        if broken:
            return f"broken: {'; '.join(broken)} (see above; --repair rebuilds what can be rebuilt)"
        return None

    def count(self, result: StepResult) -> int:
        return sum(1 for outcome in self.outcomes if outcome.result == result)

    def summary(self) -> list[str]:
        """The closing lines: counts, then the steps that did something, by result."""
        order: tuple[StepResult, ...] = ("created", "repaired", "would create", "would repair",
                                     "broken", "skipped", "kept")
        counts = [f"{self.count(r)} {r}" for r in order if self.count(r) or r == "kept"]
        lines = ["summary: " + ", ".join(counts)]
        for result in order[:-1]:
            lines += [f"  {result}: {o.step}" for o in self.outcomes if o.result == result]
        if self.log is not None:
            lines.append(f"log: {self.log}")
        return lines


def plan_steps(plan: Plan, environ: Mapping[str, str], options: Options,
               venv_var: str = "VENV_PATH") -> tuple[list[Step], dict[str, str]]:
    """The steps to walk and the child environment; ConfigError for bad input, before any
    change is made."""
    env = plan.apply(environ)
    venv_change = plan.get(venv_var)
    steps: list[Step] = []
    made: set[str] = set()  # one step per directory, however many variables name it
    for change in plan.variables:
        entry = change.entry
        # Only scratch: what the catalogue pins in home on purpose is not bootstrap's to make.
        if entry is None or entry.kind != "dir" or entry.anchor != "root" or \
                change is venv_change:
            continue
        value = plan.value_in(change, environ)
        if value is not None and value not in made:
            made.add(value)
            steps.append(DirectoryStep(Path(value)))
    if options.venv:
        if venv_change is None:
            raise ConfigError(f"no venv to bootstrap: {venv_var} is not in the plan; "
                              "set a project (--project NAME or SCRATCHENV_PROJECT)")
        steps += _venv_steps(Path(venv_change.value), options, env)
    elif options.requirements is not None:
        raise ConfigError("-r/--requirements installs into the venv: bootstrap the venv too")
    if options.rust:
        steps += _rust_steps(plan, options)
    return steps, env


def _venv_steps(path: Path, options: Options, env: dict[str, str]) -> list[Step]:
    python = _find_python(options.python)
    uv = _find_uv(options.use_uv)
    if uv and "UV_LINK_MODE" not in env:
        cache = env.get("UV_CACHE_DIR")
        if cache and nearest_existing(Path(cache)).stat().st_dev != \
                nearest_existing(path).stat().st_dev:
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


def _find_python(python: str | None) -> str:
    if python is not None:
        found = python if "/" in python else proc.which(python)
        if found is None or not os.access(found, os.X_OK):
            raise ConfigError(f"--python {python}: no such interpreter")
        if not os.path.isfile(found):
            raise ConfigError(f"--python {python}: not an executable file")
        return os.path.abspath(found)
    return proc.which("python3") or sys.executable


def _find_uv(use_uv: bool | None) -> str | None:
    if use_uv is False:
        return None
    found = proc.which("uv")
    if found is None:
        try:
            from uv import find_uv_bin  # the `uv` wheel, when scratchenv's env has it

            found = find_uv_bin()
        except (ImportError, FileNotFoundError):
            found = None
    if found is None and use_uv:
        raise ConfigError("--uv: uv not found on PATH (pip install uv)")
    return found


def rustup_binary_in_wheel() -> Path | None:
    """The rustup binary of the `rustup` distribution installed next to scratchenv, if any."""
    from importlib import metadata

    try:
        dist = metadata.distribution("rustup")
    except metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if file.name == "rustup" and file.parent.name == "bin":
            path = Path(str(dist.locate_file(file))).resolve()
            if path.is_file():
                return path
    return None


def rustup_init_from_wheel(ctx: RunContext) -> Path:
    """A `rustup-init` link to the rustup binary of the `rustup` wheel.

    Invoked under the name rustup-init, the rustup binary is the installer. The wheel
    installed next to scratchenv is used when there is one; else it is downloaded into
    `{root}/.scratchenv/downloads` (pip's cache on scratch) and its binary extracted.
    """
    state = ctx.root / STATE_DIR
    binary = rustup_binary_in_wheel()
    if binary is None:
        binary = state / "bin" / "rustup"
        if not binary.is_file():
            downloads = state / "downloads"
            makedirs_private(downloads)
            ctx.run([sys.executable, "-m", "pip", "download", "--no-deps",
                     "--only-binary=:all:", "--dest", str(downloads), "rustup"])
            _extract_rustup(downloads, binary)
    link = state / "bin" / "rustup-init"
    makedirs_private(link.parent)
    if os.path.lexists(link):
        link.unlink()
    link.symlink_to(binary)
    return link


def _extract_rustup(downloads: Path, binary: Path) -> None:
    wheels = sorted(downloads.glob("rustup-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise ScratchenvError(f"pip download left no rustup wheel in {downloads}")
    with zipfile.ZipFile(wheels[-1]) as wheel:
        member = next((n for n in wheel.namelist() if n.endswith(".data/scripts/rustup")), None)
        if member is None:
            raise ScratchenvError(f"{wheels[-1].name} has no rustup binary")
        atomic_write(binary, wheel.read(member), mode=0o755)


@contextmanager
def _log(root: Path, dry_run: bool, echo: Callable[[str], None]) -> Iterator[Log]:
    if dry_run:
        yield Log(None, None, echo)
        return
    logs = root / STATE_DIR / "logs"
    path = logs / f"bootstrap-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    try:
        makedirs_private(logs)
        # Appended line by line (not atomic_write): a log must survive the run dying halfway.
        handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 (the with below closes it)
    except OSError as problem:  # the first write under the root: a read-only or full root
        raise ScratchenvError(f"cannot write the bootstrap log in {logs}: {problem.strerror} "
                              "(is the scratch root writable?)") from None
    with handle:
        os.chmod(path, 0o600)
        yield Log(handle, path, echo)


def run_steps(steps: list[Step], ctx: RunContext, *, repair: bool, dry_run: bool,
              report: BootstrapReport | None = None) -> BootstrapReport:
    """Walk `steps` in order: check each, then keep, do, repair or report it."""
    report = report or BootstrapReport()
    report.log = ctx.log.path
    results: dict[str, StepResult] = {}
    total = len(steps)
    for number, step in enumerate(steps, 1):
        prefix = f"[{number}/{total}] {step.name}"
        before = step.requires.name if step.requires else ""
        needed = results.get(before)
        if needed is not None and needed not in READY:
            if dry_run and needed.startswith("would"):
                outcome = StepOutcome(step.name, "would create", step.describe())
                ctx.log.line(f"{prefix}: would run {outcome.detail}")
            else:
                outcome = StepOutcome(step.name, "skipped", f"{before} is {needed}")
                ctx.log.line(f"{prefix}: skipped ({outcome.detail})")
            results[step.name] = outcome.result
            report.outcomes.append(outcome)
            continue
        try:
            outcome = _walk(step, ctx, prefix, repair=repair, dry_run=dry_run)
        except (ScratchenvError, OSError) as problem:
            report.failure = f"step {step.name} failed: {problem}"
            ctx.log.line(f"{prefix}: FAILED: {problem}")
            break
        results[step.name] = outcome.result
        report.outcomes.append(outcome)
    for line in report.summary():
        ctx.log.record(line)
    return report


def _walk(step: Step, ctx: RunContext, prefix: str, *, repair: bool, dry_run: bool) -> StepOutcome:
    state = step.check(ctx)
    if state.status == "done":
        ctx.log.line(f"{prefix}: kept")
        return StepOutcome(step.name, "kept")
    if state.status == "missing":
        if dry_run:
            ctx.log.line(f"{prefix}: would run {step.describe()}")
            return StepOutcome(step.name, "would create", step.describe())
        ctx.log.line(f"{prefix}: creating")
        step.do(ctx)
        return StepOutcome(step.name, "created")
    if not (repair and state.repairable):
        advice = "" if not state.repairable else " (rerun with --repair to rebuild it)"
        ctx.log.line(f"{prefix}: BROKEN: {state.reason}{advice}")
        return StepOutcome(step.name, "broken", state.reason)
    if dry_run:
        ctx.log.line(f"{prefix}: broken ({state.reason}); would rebuild: {step.describe()}")
        return StepOutcome(step.name, "would repair", state.reason)
    ctx.log.line(f"{prefix}: repairing ({state.reason})")
    step.clear(ctx)
    step.do(ctx)
    return StepOutcome(step.name, "repaired", state.reason)


def bootstrap(settings: Settings, environ: Mapping[str, str], options: Options,
              *, echo: Callable[[str], None] = output.say) -> BootstrapReport:
    """Bring the scratch root up: directories, then the venv, then rustup; see Options."""
    plan = build_plan(settings)
    venv_var = settings.project_layout.venv_var if settings.project_layout else "VENV_PATH"
    steps, env = plan_steps(plan, environ, options, venv_var)
    root = Path(plan.root)
    # The root holds the log, so it is made before the steps run, as a step of its own.
    created: StepResult = "kept" if root.is_dir() else \
        "would create" if options.dry_run else "created"
    with _log(root, options.dry_run, echo) as log:
        log.line(f"scratch root {root}: {created}")
        report = BootstrapReport(outcomes=[StepOutcome(f"scratch root {root}", created)])
        ctx = RunContext(env, log, root)
        return run_steps(steps, ctx, repair=options.repair, dry_run=options.dry_run,
                         report=report)


def _shell_words(argv: tuple[str, ...] | list[str]) -> str:
    import shlex

    return shlex.join(argv)
