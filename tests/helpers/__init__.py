"""What the tests share, one helper per job. Tests import from here; conftest.py only holds
fixtures and hooks (it registers the fixtures of these modules through `pytest_plugins`).

- `helpers.cli`: `cli` runs the command line in-process (the default), `cli_process` in a
  real child process (for exit codes of the real process, signals, shells, installs).
- `helpers.roots`: `two_roots`, a home, a scratch root and a persistent root.
- `helpers.place`: `place`, a home and scratch root with the activated environment.
- `helpers.slurm`: `cluster`, one real one-node Slurm for the whole session.
- `helpers.users`: `people`, two real unprivileged users.
- `helpers.fs`: trees, snapshots, a second file system (tmpfs), dropping root's powers.
- `helpers.wheels`, `helpers.job_scripts`: test data built in the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest

# A scratch root name that breaks naive quoting (virtualenv's, plus a newline and `$(...)`).
HOSTILE_NAME = "'\";&&e-$ èрт🚒♞中片-j `touch pwned` $(touch pwned) \\ *\nx"

CHECKOUT = Path(__file__).resolve().parent.parent.parent
"""The checkout under test."""


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


def files_under(top: Path) -> dict[str, int]:
    """Every path under `top` with its mtime (ns): what a build must leave as it was."""
    return {str(path.relative_to(top)): path.stat().st_mtime_ns for path in top.rglob("*")}
