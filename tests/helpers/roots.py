"""The `two_roots` fixture: a home, a scratch root and a persistent root ($WORK), set through
SCRATCHENV_ROOT and SCRATCHENV_PERSISTENT_ROOT for the nanochat project, in the test's temp
directory; conftest registers it for every test.

With `@pytest.mark.two_file_systems`, each root lives on its own small tmpfs (when root; a
plain directory with a warning elsewhere, see `helpers.fs.second_fs`): moves between the
two roots then really cross file systems.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from helpers.fs import second_fs


class Roots(NamedTuple):
    home: Path
    scratch: Path
    work: Path


@pytest.fixture
def two_roots(request: pytest.FixtureRequest, isolated: Path, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[Roots]:
    with contextlib.ExitStack() as mounts:
        scratch_fs, work_fs = tmp_path, tmp_path
        if request.node.get_closest_marker("two_file_systems"):
            scratch_fs = mounts.enter_context(second_fs(tmp_path / "scratch-fs", "64m"))
            work_fs = mounts.enter_context(second_fs(tmp_path / "work-fs", "64m"))
        for name in list(os.environ):  # the machine's own tool locations are not the test's
            if name.startswith("HF_") or name in (
                    "PIP_CACHE_DIR", "UV_CACHE_DIR", "TORCH_HOME", "CARGO_HOME", "RUSTUP_HOME"):
                monkeypatch.delenv(name)
        roots = Roots(isolated, scratch_fs / "scratch", work_fs / "persistent")
        for path in (roots.scratch, roots.work):
            path.mkdir(mode=0o700, exist_ok=True)  # the `place` fixture's root too
        monkeypatch.setenv("SCRATCHENV_ROOT", str(roots.scratch))
        monkeypatch.setenv("SCRATCHENV_PERSISTENT_ROOT", str(roots.work))
        monkeypatch.setenv("SCRATCHENV_PROJECT", "nanochat")
        monkeypatch.setenv("SCRATCHENV_CONFIG", str(isolated / "no-config.toml"))
        yield roots
        os.chdir(tmp_path)  # out of the mounts before they go
