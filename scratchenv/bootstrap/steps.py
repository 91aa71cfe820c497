"""The bootstrap's machinery: a Step checks whether it is done, does itself, and says what
it runs; `run_steps` walks them in order with the Plan's environment applied to every child
(so pip's, uv's and Cargo's files land on scratch) and keeps a log under
`{root}/.scratchenv/logs/`. A re-run keeps what is done; a broken result is reported, and
rebuilt (or mended) with `repair`. The steps themselves: venv.py, rust.py, and directories here.
"""

from __future__ import annotations

import os
import shlex
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from scratchenv import output, proc
from scratchenv.errors import ScratchenvError
from scratchenv.fsutil import makedirs_private
from scratchenv.plain import record
from scratchenv.units import counted

DIR_MODE = 0o700
STATE_DIR = ".scratchenv"
"""Under the root: scratchenv's own files (logs, the downloaded rustup-init)."""


@record
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
        super().__init__(f"`{shell_words(argv)}` exited {code}")


class Log:
    """Progress lines and the tools' output: to the log file always; to the terminal what
    changes things, and every item and the tools' own output only when verbose."""

    TAIL = 20
    """The tools' last lines shown when a step fails (not verbose: they were hidden)."""

    def __init__(self, handle: IO[str] | None, path: Path | None,
                 echo: Callable[[str], None], verbose: bool = False) -> None:
        self.handle = handle
        self.path = path
        self.echo = echo
        self.verbose = verbose
        self.recent: deque[str] = deque(maxlen=self.TAIL)

    def line(self, text: str) -> None:
        self.echo(text)
        self.record(text)

    def item(self, text: str) -> None:
        """A line about one item (kept, a directory): shown only when verbose."""
        if self.verbose:
            self.echo(text)
        self.record(text)

    def child(self, text: str) -> None:
        self.recent.append(f"    {text}")
        self.item(f"    {text}")

    def show_recent(self) -> None:
        """After a failure: the tool's last lines, when they were not shown."""
        if not self.verbose:
            for text in self.recent:
                self.echo(text)
        self.recent.clear()

    def record(self, text: str) -> None:
        """To the log file only."""
        if self.handle is not None:
            self.handle.write(output.escape(text) + "\n")  # a log is read on a terminal
            self.handle.flush()


@dataclass
class RunContext:
    """What steps share: the child environment, the log, the root."""

    env: dict[str, str]
    log: Log
    root: Path

    def run(self, argv: list[str], *, cwd: str | None = None,
            env: Mapping[str, str] | None = None) -> proc.CommandResult:
        """Run a step's command (`env`: variables added for it); StepFailed when it fails."""
        self.log.line(f"  $ {shell_words(argv)}")
        result = proc.stream(argv, env={**self.env, **(env or {})}, cwd=cwd,
                             on_line=self.log.child)
        if not result.ok:
            self.log.show_recent()
            raise StepFailed(result.argv, result.returncode)
        self.log.recent.clear()
        return result

    def probe(self, argv: list[str]) -> proc.CommandResult:
        """Run a quiet check (no output shown); never raises for a non-zero exit."""
        return proc.run(argv, env=self.env, timeout=120, cwd=proc.SAFE_CWD)


class Step:
    """One unit of the bootstrap: `check` it, `do` it, `describe` what doing it runs.

    Subclasses set `name` and implement `check`, plus `command` when doing the step is
    running one command (then `describe` and `do` come for free).
    """

    name: str
    quiet = False
    """One of many alike (a directory): its progress lines only with -v."""
    requires: Step | None = None
    """A step that must be in place first (the venv before its requirements)."""

    def check(self, ctx: RunContext) -> State:
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def describe(self) -> str:
        """What `do` runs, for progress lines and --dry-run."""
        return shell_words(self.command())

    def do(self, ctx: RunContext) -> None:
        ctx.run(self.command())

    def clear(self, ctx: RunContext) -> None:
        """Remove a broken result before `do` runs again (default: `do` overwrites it)."""

    def repair(self, ctx: RunContext, state: State) -> None:
        """Fix what `check` found broken (default: clear it, then do it again)."""
        self.clear(ctx)
        self.do(ctx)

class DirectoryStep(Step):
    quiet = True

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
        return shell_words(["mkdir", "-m", "700", "-p", str(self.path)])

    def do(self, ctx: RunContext) -> None:
        makedirs_private(self.path)

StepResult = Literal["created", "kept", "repaired", "broken", "skipped",
                 "would create", "would repair"]
READY = ("created", "kept", "repaired")


@record
class StepOutcome:
    step: str
    result: StepResult
    detail: str = ""
    quiet: bool = False
    """Listed one by one only with -v (directories); else counted."""


@dataclass
class BootstrapReport:
    outcomes: list[StepOutcome] = field(default_factory=list)
    failure: str | None = None
    """`step NAME failed: `COMMAND` exited N` when a step failed (the run stopped there)."""
    log: Path | None = None
    left_to_tools: list[str] = field(default_factory=list)
    """Directories bootstrap does not make: their tools make them on first use."""

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

    def summary(self, verbose: bool = False) -> list[str]:
        """The closing lines: counts, then what was done, what was there, what was not made
        and why; directories one by one only when verbose."""
        order: tuple[StepResult, ...] = ("created", "repaired", "would create", "would repair",
                                     "broken", "skipped", "kept")
        counts = [f"{self.count(r)} {r}" for r in order if self.count(r) or r == "kept"]
        lines = ["summary: " + ", ".join(counts)]
        more = "" if verbose else " (-v lists them)"
        for result in order:
            if result == "kept" and not verbose:
                break  # counted above: what was there already is listed with -v
            these = [o for o in self.outcomes if o.result == result]
            quiet = [o for o in these if o.quiet and not verbose]
            lines += [f"  {result}: {o.step}" for o in these if o not in quiet]
            if quiet:
                lines.append(f"  {result}: {counted(len(quiet), 'directory', 'directories')}"
                             f"{more}")
        if self.left_to_tools:
            left = counted(len(self.left_to_tools), "directory", "directories")
            lines.append(f"  not made: {left} their tools make on first use{more}")
            if verbose:
                lines += [f"    {path}" for path in self.left_to_tools]
        if self.log is not None:
            lines.append(f"log: {self.log}")
        return lines

@contextmanager
def open_log(root: Path, dry_run: bool, echo: Callable[[str], None],
             verbose: bool = False) -> Iterator[Log]:
    if dry_run:
        yield Log(None, None, echo, verbose)
        return
    logs = root / STATE_DIR / "logs"
    stamp = f"bootstrap-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    try:
        makedirs_private(logs)
        path = logs / f"{stamp}.log"
        number = 1
        while path.exists():  # two runs in one second: one log each
            number += 1
            path = logs / f"{stamp}-{number}.log"
        # Appended line by line (not atomic_write): a log must survive the run dying halfway.
        handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 (the with below closes it)
    except OSError as problem:  # the first write under the root: a read-only or full root
        raise ScratchenvError(f"cannot write the bootstrap log in {logs}: {problem.strerror} "
                              "(is the scratch root writable?)") from None
    with handle:
        os.chmod(path, 0o600)
        yield Log(handle, path, echo, verbose)

def run_steps(steps: list[Step], ctx: RunContext, *, repair: bool, dry_run: bool,
              report: BootstrapReport | None = None) -> BootstrapReport:
    """Walk `steps` in order: check each, then keep, do, repair or report it."""
    report = report or BootstrapReport()
    report.log = ctx.log.path
    results: dict[str, StepResult] = {}
    # Only the steps shown without -v are numbered (from 1); directories are counted apart.
    shown = [step for step in steps if not step.quiet]
    for step in steps:
        prefix = step.name if step.quiet else \
            f"[{shown.index(step) + 1}/{len(shown)}] {step.name}"
        before = step.requires.name if step.requires else ""
        needed = results.get(before)
        if needed is not None and needed not in READY:
            if dry_run and needed.startswith("would"):
                outcome = StepOutcome(step.name, "would create", step.describe(), step.quiet)
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
    for line in report.summary(verbose=True):
        ctx.log.record(line)
    return report


def _walk(step: Step, ctx: RunContext, prefix: str, *, repair: bool, dry_run: bool) -> StepOutcome:
    state = step.check(ctx)
    say = ctx.log.item if step.quiet else ctx.log.line
    if state.status == "done":
        ctx.log.item(f"{prefix}: kept")
        return StepOutcome(step.name, "kept", quiet=step.quiet)
    if state.status == "missing":
        if dry_run:
            say(f"{prefix}: would run {step.describe()}")
            return StepOutcome(step.name, "would create", step.describe(), step.quiet)
        say(f"{prefix}: creating")
        step.do(ctx)
        return StepOutcome(step.name, "created", quiet=step.quiet)
    if not (repair and state.repairable):
        advice = "" if not state.repairable else " (rerun with --repair to rebuild it)"
        ctx.log.line(f"{prefix}: BROKEN: {state.reason}{advice}")
        return StepOutcome(step.name, "broken", state.reason)
    if dry_run:
        ctx.log.line(f"{prefix}: broken ({state.reason}); would rebuild: {step.describe()}")
        return StepOutcome(step.name, "would repair", state.reason)
    ctx.log.line(f"{prefix}: repairing ({state.reason})")
    step.repair(ctx, state)
    return StepOutcome(step.name, "repaired", state.reason)

def shell_words(argv: tuple[str, ...] | list[str]) -> str:
    return shlex.join(argv)
