"""Fixtures and hooks only (helpers live in tests/helpers): every test runs with a throwaway
HOME, no SCRATCHENV_* from the caller, in a temp cwd."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.build import Release, build_release, once_per_run, shared_dir

# The fixtures of tests/helpers (`place`, `two_roots`, `people`, `cluster`), for every test.
pytest_plugins = ["helpers.place", "helpers.roots", "helpers.users", "helpers.slurm"]


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


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """The wheel and sdist built from a read-only copy of the checkout (a backend that writes
    into it fails as non-root), once per run."""
    with once_per_run(tmp_path_factory, "release") as where:
        if where is not None:
            build_release(where)
    where = shared_dir(tmp_path_factory, "release")
    before = {name: int(mtime) for name, mtime in
              json.loads((where / "before.json").read_text()).items()}
    return Release(where / "scratchenv", before, where / "dist")


@pytest.fixture(scope="session")
def installed(release: Release, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin directory of a fresh venv outside the checkout with the freshly built wheel
    installed (dependencies from the configured index): the product as users get it."""
    with once_per_run(tmp_path_factory, "installed") as where:
        if where is not None:
            (wheel,) = release.dist.glob("scratchenv-*.whl")
            subprocess.run([sys.executable, "-m", "venv", str(where / "venv")], check=True)
            pip = subprocess.run([str(where / "venv" / "bin" / "pip"), "install", "-q",
                                  str(wheel)], capture_output=True, text=True, cwd=where)
            assert pip.returncode == 0, pip.stderr
            assert "deprecat" not in pip.stderr.lower()
    return shared_dir(tmp_path_factory, "installed") / "venv" / "bin"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test on the test Slurm is slow (jobs take seconds), and all of them run on one xdist
    worker, so the session boots one cluster, not one per worker."""
    grouped = config.pluginmanager.hasplugin("xdist")
    for item in items:
        if "cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
            if grouped:
                item.add_marker(pytest.mark.xdist_group("slurm"))


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
