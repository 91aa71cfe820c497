"""Modulefiles with two roots, in the real Lmod and Environment Modules: the persistent root is
computed at load ($SCRATCHENV_PERSISTENT_ROOT, else the generating user's with the loading
user's name), and `module load` gives what the bash activation gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_modulefiles import (
    FILE_NAME,
    bash_values,
    module_session,
    tool,
    user_env,
    without_bookkeeping,
)

from scratchenv.config.settings import load_settings
from scratchenv.plan import build_plan
from scratchenv.shells import renderer


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """/site/scratch/<user> and /site/work/<user> for every user."""
    for tier in ("scratch", "work"):
        for user in ("admin", "alice"):
            (tmp_path / "site" / tier / user).mkdir(parents=True)
    return tmp_path / "site"


def generate(fmt: str, site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("USER", "admin")
    monkeypatch.setenv("SCRATCHENV_ROOT", str(site / "scratch" / "admin"))
    monkeypatch.setenv("SCRATCHENV_PERSISTENT_ROOT", str(site / "work" / "admin"))
    monkeypatch.setenv("SCRATCHENV_PROJECT", "nanochat")
    text = renderer(fmt).render(build_plan(load_settings()), os.environ)
    modules = tmp_path / f"modules-{fmt}"
    modules.mkdir()
    (modules / FILE_NAME[fmt]).write_text(text)
    for name in ("SCRATCHENV_ROOT", "SCRATCHENV_PERSISTENT_ROOT"):
        monkeypatch.delenv(name)
    return modules


@pytest.mark.parametrize("fmt", ["lmod", "tcl"])
def test_load_puts_each_group_on_the_loading_users_roots(fmt, site, tmp_path, isolated,
                                                         monkeypatch):
    tool(fmt)
    modules = generate(fmt, site, tmp_path, monkeypatch)
    alice_work = site / "work" / "alice"
    env = user_env(isolated, SCRATCH=str(site / "scratch" / "alice"),
                   SCRATCHENV_PROJECT="nanochat")
    before, loaded, after = module_session(fmt, modules, env)
    assert loaded["VENV_PATH"] == f"{alice_work}/nanochat-venv"
    assert loaded["CARGO_HOME"] == f"{alice_work}/.cargo"
    assert f"{alice_work}/.cargo/bin" in loaded["PATH"].split(":")
    assert loaded["HF_HOME"] == f"{site}/scratch/alice/cache/huggingface"
    assert without_bookkeeping(after) == without_bookkeeping(before)
    # The same values as alice's own bash activation with her persistent root set.
    env["SCRATCHENV_PERSISTENT_ROOT"] = str(alice_work)
    expected = bash_values(env, tmp_path, monkeypatch)
    _, loaded, _ = module_session(fmt, modules, env)
    assert {name: loaded.get(name) for name in expected} == expected
