"""Checkpoint directories go to the persistent root when one is set (a purge must not take a
week of training), and stay on scratch when the tiers say so."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.cli import cli
from helpers.roots import Roots

from scratchenv.checkpoints import api


@pytest.fixture
def roots(two_roots: Roots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The scratch and persistent roots, from a run's directory."""
    runs = tmp_path / "runs" / "exp1"
    runs.mkdir(parents=True)
    monkeypatch.chdir(runs)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin") + ":" + os.environ["PATH"])
    return two_roots.scratch, two_roots.work


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


def test_prune_orphans_deletes_on_the_persistent_root(roots: tuple[Path, Path],
                                                      tmp_path: Path) -> None:
    """The orphan lives under the checkpoints tier's root, not the scratch root."""
    import subprocess

    from helpers import need

    need("git")
    _, work = roots
    main = tmp_path / "lab" / "main"
    main.mkdir(parents=True)

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                       cwd=main, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("commit", "-q", "--allow-empty", "-m", "first")
    git("worktree", "add", "-q", "../gone")
    assert cli("checkpoints", "setup", cwd=tmp_path / "lab" / "gone").returncode == 0
    orphan = work / "checkpoints_lab_gone"
    (orphan / "checkpoint-1").mkdir(parents=True)
    git("worktree", "remove", "--force", "../gone")

    done = cli("checkpoints", "prune-orphans", "--apply", "--yes", cwd=main)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "deleted 1 orphaned directory" in done.stdout
    assert not orphan.exists()
