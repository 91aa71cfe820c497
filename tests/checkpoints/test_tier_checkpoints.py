"""Checkpoint directories go to the persistent root when one is set (a purge must not take a
week of training), and stay on scratch when the tiers say so."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import cli

from scratchenv.checkpoints import api


@pytest.fixture
def roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    scratch, work, home = tmp_path / "scratch", tmp_path / "work", tmp_path / "home"
    for path in (scratch, work, home):
        path.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("SCRATCHENV_ROOT", str(scratch))
    monkeypatch.setenv("SCRATCHENV_PERSISTENT_ROOT", str(work))
    monkeypatch.setenv("SCRATCHENV_CONFIG", str(home / "no-config.toml"))
    runs = tmp_path / "runs" / "exp1"
    runs.mkdir(parents=True)
    monkeypatch.chdir(runs)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin") + ":" + os.environ["PATH"])
    return scratch, work


def test_checkpoints_go_to_the_persistent_root(roots: tuple[Path, Path]) -> None:
    scratch, work = roots
    path = api.setup_checkpoint_directory("run1")
    assert path == f"{work}/checkpoints_run1" and Path(path).is_dir()
    assert not (scratch / "checkpoints_run1").exists()
    done = cli("checkpoints", "dir", "--project", "run1")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{work}/checkpoints_run1\n"
    for step in (1, 2, 3):
        (Path(path) / f"checkpoint-{step}").mkdir()
        (Path(path) / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
    done = cli("checkpoints", "cleanup", "--project", "run1", "--keep", "1", "--apply", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in Path(path).iterdir() if p.name.startswith("checkpoint-")) \
        == ["checkpoint-3"]


def test_tiers_can_keep_checkpoints_on_scratch(roots: tuple[Path, Path],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    scratch, _ = roots
    monkeypatch.setenv("SCRATCHENV_TIERS", '{"checkpoints": "scratch"}')
    assert api.get_checkpoint_dir("run1") == f"{scratch}/checkpoints_run1"
