"""The `place` fixture of the verify/status tests: a throwaway home and scratch root, and the
environment activation gives (conftest registers it for every test).

Nothing touches the real home: HOME, SCRATCHENV_*, XDG_* and every catalogue variable are
replaced or removed for each test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from scratchenv.config.catalogue import load_default
from scratchenv.config.settings import Settings, load_settings
from scratchenv.plan import Plan, build_plan

MANAGED = {entry.var for entry in load_default().entries} | {
    "VENV_PATH", "NANOCHAT_BASE_DIR", "VIRTUAL_ENV", "SLURM_JOB_ID", "SLURM_TMPDIR",
    "XDG_CONFIG_HOME", "XDG_DATA_HOME", "PIP_NO_CACHE_DIR", "HF_HUB_CACHE", "HF_DATASETS_CACHE",
}


@dataclass
class Place:
    """A test's home and scratch root."""

    base: Path
    home: Path
    root: Path

    def settings(self, **overrides: object) -> Settings:
        return load_settings(**overrides)

    def plan(self, **overrides: object) -> Plan:
        """The Plan a command builds from these settings (what checks are given)."""
        return build_plan(self.settings(**overrides))

    def activated(self, settings: Settings | None = None, **extra: str) -> dict[str, str]:
        """os.environ after activation (what a correctly set up shell has)."""
        settings = settings or self.settings()
        return {**build_plan(settings).apply(os.environ), **extra}


@pytest.fixture(name="place")
def place_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Place:
    home, root = tmp_path / "home", tmp_path / "scratch"
    home.mkdir(exist_ok=True)
    root.mkdir(mode=0o700, exist_ok=True)  # `two_roots` may have made it
    for name in list(os.environ):
        if name in MANAGED or name.startswith("SCRATCHENV_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("SCRATCHENV_ROOT", str(root))
    monkeypatch.setenv("SCRATCHENV_PROJECT", "nanochat")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.chdir(tmp_path)
    return Place(tmp_path, home, root)

