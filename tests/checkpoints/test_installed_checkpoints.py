"""The checkpoint commands and the Python API from an installed wheel, not the checkout
(the `installed` fixture in conftest.py), run in a git repository elsewhere."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest


@pytest.mark.slow
def test_checkpoint_commands_from_the_installed_wheel(installed: Path, tmp_path: Path):
    home, scratch, repo = tmp_path / "home", tmp_path / "scratch", tmp_path / "lab" / "exp"
    for path in (home, scratch, repo):
        path.mkdir(parents=True, exist_ok=True)
    env = {"PATH": f"{installed}:/usr/bin:/bin", "HOME": str(home),
           "SCRATCHENV_ROOT": str(scratch), "GIT_CONFIG_NOSYSTEM": "1", "LANG": "C.UTF-8"}

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), cwd=repo, env=env, capture_output=True, text=True)

    assert run("git", "init", "-q").returncode == 0
    where = run("python", "-c", "import scratchenv; print(scratchenv.__file__)")
    assert where.stdout.startswith(str(installed.parent)), where.stdout + where.stderr

    setup = run("scratchenv", "checkpoints", "setup")
    assert setup.returncode == 0, setup.stderr
    ckdir = scratch / "checkpoints_lab_exp"
    assert setup.stdout.startswith(f"created: {ckdir} ")
    for step in (1, 2, 3):
        (ckdir / f"checkpoint-{step}").mkdir()
        (ckdir / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
        os.utime(ckdir / f"checkpoint-{step}", (1, 1))
    status = run("scratchenv", "checkpoints", "status")
    assert status.returncode == 0 and "lab_exp  3" in status.stdout, status.stdout
    cleanup = run("scratchenv", "checkpoints", "cleanup", "--keep", "1", "--apply")
    assert cleanup.returncode == 0, cleanup.stderr
    assert sorted(p.name for p in ckdir.glob("checkpoint-*")) == ["checkpoint-3"]

    (repo / ".art" / "run").mkdir(parents=True)
    (repo / ".art" / "run" / "weights").write_text("w")
    archived = run("scratchenv", "checkpoints", "archive", "--apply")
    assert archived.returncode == 0, archived.stdout + archived.stderr
    (folder,) = scratch.glob("archived_models_*")
    assert (folder / "lab_exp_.art" / "run" / "weights").read_text() == "w"

    api = run("python", "-c",
              "import sys\n"
              "from scratchenv.checkpoints import get_checkpoint_dir, latest_checkpoint\n"
              "print(get_checkpoint_dir(), latest_checkpoint())\n"
              "assert 'torch' not in sys.modules and 'transformers' not in sys.modules\n")
    assert api.stdout == f"{ckdir} {ckdir}/checkpoint-3\n", api.stderr
