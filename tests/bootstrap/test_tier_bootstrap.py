"""bootstrap with two roots: the venv and toolchain directories on the persistent root, the
caches on scratch, each root on its own file system (uv must copy, not hard-link)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from helpers.fs import IS_ROOT, second_fs
from test_bootstrap import PROJECT, bootstrap, env, index, requirements, venv_imports_tiny

__all__ = ["env", "index"]  # fixtures, used by name


@pytest.fixture
def work(env: dict[str, Path], monkeypatch: pytest.MonkeyPatch):
    with second_fs(env["tmp"] / "work-fs", "256m") as mount:
        monkeypatch.setenv("SCRATCHENV_PERSISTENT_ROOT", str(mount / "work"))
        yield mount / "work"


@pytest.mark.slow
def test_uv_venv_on_the_persistent_root_with_its_cache_on_scratch(env, index, work, capsys):
    code, out, err = bootstrap("--venv", "--uv", "--python", sys.executable,
                         "-r", requirements(env, index, pip=False))
    assert (code, err) == (0, "")
    venv = work / f"{PROJECT}-venv"
    assert venv_imports_tiny(venv)
    assert not (env["root"] / f"{PROJECT}-venv").exists()
    cached = list((env["root"] / "cache" / "uv").glob("archive-v*/*/tiny/__init__.py"))
    assert len(cached) == 1, "uv's cache stays on scratch"
    installed = next(venv.glob("lib/python*/site-packages/tiny/__init__.py"))
    if IS_ROOT:  # two file systems: uv was told to copy
        assert os.stat(work).st_dev != os.stat(env["root"]).st_dev
        assert not os.path.samefile(cached[0], installed)
    # Bootstrap makes only what the venv needs (toolchains come with --rust), private.
    assert stat.S_IMODE(venv.stat().st_mode) == 0o700
    assert not (env["root"] / ".cargo").exists() and not (env["root"] / ".rustup").exists()
