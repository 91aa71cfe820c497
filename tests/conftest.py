"""Every test runs with a throwaway HOME, no SCRATCHENV_* from the caller, in a temp cwd."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

# A scratch root name that breaks naive quoting (virtualenv's, plus a newline and `$(...)`).
HOSTILE_NAME = "'\";&&e-$ èрт🚒♞中片-j `touch pwned` $(touch pwned) \\ *\nx"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    from scratchenv.config import centres
    from scratchenv.login.activate import _centre_variables

    centre_vars = set(_centre_variables())  # $PSCRATCH, $WORK, ...: the machine's own
    for name in list(os.environ):
        if (name.startswith("SCRATCHENV_") or name.startswith("XDG_") or name == "SCRATCH"
                or name in centre_vars):
            monkeypatch.delenv(name)
    # Path guesses (/scratch/$USER, /scratch/gpfs/$USER, ...) look in an empty sandbox, never
    # at the machine's own /scratch (in-process; a child process only takes what is its own).
    sandbox = tmp_path / "fs-root"
    sandbox.mkdir()
    monkeypatch.setattr(centres, "SEARCH_ROOT", str(sandbox))
    monkeypatch.setenv("HOME", str(home))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch root that exists, set through SCRATCHENV_ROOT."""
    path = tmp_path / "scratch"
    path.mkdir()
    monkeypatch.setenv("SCRATCHENV_ROOT", str(path))
    return path


def unavailable(reason: str) -> NoReturn:
    """Skip locally, fail in CI: nothing a test needs may be missing there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (in CI, `make test` must provide it)")
    pytest.skip(reason)


def need_root(why: str) -> None:
    """Skip locally, fail in CI (which runs as root) when not root."""
    if os.geteuid() != 0:
        unavailable(f"needs root: {why}")


def need(program: str) -> str:
    """The path of `program`; skips locally when missing, fails in CI (nothing skips there)."""
    found = shutil.which(program)
    if found:
        return found
    unavailable(f"{program} is not installed; `make test` installs it")


def cli(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout: float = 300,
    kill_at: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a child process, as a user would; with `kill_at`
    (`POINT:N`), SIGKILLed at that step of the transfer engine (tests/kill_at.py)."""
    return subprocess.run(
        [*scratchenv_argv(kill_at), *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout,
    )


def scratchenv_argv(kill_at: str | None = None) -> list[str]:
    """How to start scratchenv: `python -m scratchenv`, or under tests/kill_at.py."""
    if kill_at is None:
        return [sys.executable, "-m", "scratchenv"]
    return [sys.executable, str(Path(__file__).with_name("kill_at.py")), kill_at]


CHECKOUT = Path(__file__).resolve().parent.parent


def checkout_copy(source: Path) -> Path:
    """`source`: a copy of the checkout's files, less what git ignores (as a clone has)."""
    need("git")
    tracked = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], cwd=CHECKOUT, capture_output=True,
                             check=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        if (CHECKOUT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(CHECKOUT / name, source / name)
    return source


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin directory of a fresh venv outside the checkout with the freshly built wheel
    installed (dependencies from the configured index): the product as users get it."""
    need("git")
    where = tmp_path_factory.mktemp("wheel")
    # A copy: building in the checkout would leave build/ there, and a stale build/lib
    # could slip removed modules into the wheel.
    source = checkout_copy(where / "source")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", str(source),
                            "-w", str(where / "dist")], capture_output=True, text=True, cwd=where)
    assert built.returncode == 0, built.stderr[-3000:]
    # The table form of `license` made setuptools print deprecation warnings on every build.
    assert "deprecat" not in (built.stdout + built.stderr).lower()
    (wheel,) = (where / "dist").glob("scratchenv-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(where / "venv")], check=True)
    pip = subprocess.run([str(where / "venv" / "bin" / "pip"), "install", "-q", str(wheel)],
                         capture_output=True, text=True, cwd=where)
    assert pip.returncode == 0, pip.stderr
    assert "deprecat" not in pip.stderr.lower()
    return where / "venv" / "bin"



def root_reason(reason: str) -> str | None:
    """What a skipped test needed root for, in a few words ("" when it does not say), or
    None when it skipped for another reason. Only the first line, without paths: a mount's
    error message is long, spans lines and names each test's own directory."""
    text = reason.strip().removeprefix("Skipped: ")
    line = text.splitlines()[0] if text else ""
    marker = next((m for m in ("needs root", "not root") if m in line), None)
    if marker is None:
        return None
    before, _, after = line.partition(marker)
    # "needs root: to mount a tmpfs", else what came before: "chown needs root",
    # "cannot bind-mount (needs root): mount: /tmp/...: must be superuser".
    why = after[2:] if after.startswith(": ") else before.rstrip(" (:").rsplit(": ", 1)[-1]
    why = re.sub(r"\s*\([^)]*\)|\s*\S*/\S*", "", why).strip(" :;,.")  # no remarks, no paths
    return why


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One short line for every test skipped for want of root: how many, the commonest
    reasons, and how to run them (`-ra` lists each one above it)."""
    whys: dict[str, int] = {}
    count = 0
    for report in terminalreporter.stats.get("skipped", []):
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
        why = root_reason(reason)
        if why is None:
            continue
        count += 1
        if why:
            whys[why] = whys.get(why, 0) + 1
    if count:
        commonest = sorted(whys, key=lambda why: -whys[why])
        shown = "; ".join(commonest[:3]) + ("; ..." if len(commonest) > 3 else "")
        terminalreporter.write_line(
            f"{count} test{'s' if count != 1 else ''} skipped because this is not root"
            f"{f' ({shown})' if shown else ''}: run `make test` as root to run them (CI does)")
