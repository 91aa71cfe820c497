"""Building the release once per run: the wheel and sdist, shared by the parallel workers."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from helpers import checkout_copy, files_under, need


class Release(NamedTuple):
    source: Path  # a copy of the checkout's tracked files, read-only while it was built
    before: dict[str, int]  # its files and their mtimes before the build
    dist: Path  # the wheel and the sdist built from it


@contextlib.contextmanager
def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Path | None]:
    """A directory `name` shared by this run's parallel workers (xdist): yields it to be
    filled when no worker has done so yet, else None. Workers wait for the one filling it."""
    where = shared_dir(tmp_path_factory, name)
    with open(where.with_name(f"{name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (where / ".done").exists():
            yield None
            return
        shutil.rmtree(where, ignore_errors=True)
        where.mkdir()
        yield where
        (where / ".done").touch()


def shared_dir(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """`name` in this run's own temp directory (above each xdist worker's)."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name


def build_release(where: Path) -> None:
    """The wheel and sdist into `where`/dist, from a read-only copy of the checkout."""
    need("git")
    source = checkout_copy(where / "scratchenv")
    for path in [source, *source.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    (where / "before.json").write_text(json.dumps(files_under(source)))
    dist = where / "dist"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-v",
                            "-w", str(dist), str(source)],
                           capture_output=True, text=True, cwd=where, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    # The table form of `license` made setuptools print deprecation warnings on every build.
    assert "deprecat" not in (built.stdout + built.stderr).lower()
    # pip builds no sdist; uv (the test extra has it) does, through the same backend.
    sdist = subprocess.run([sys.executable, "-m", "uv", "build", "--sdist", "-o", str(dist),
                            str(source)], capture_output=True, text=True, cwd=where, timeout=600)
    assert sdist.returncode == 0, sdist.stderr[-3000:]
    for path in [source, *source.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
