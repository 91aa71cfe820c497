"""The job-script linter as a real pre-commit hook: a throwaway project that takes this
repository's .pre-commit-hooks.yaml as its hook source, and a commit that it stops."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import checkout_copy, need


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def hook_source(tmp_path: Path) -> tuple[Path, str]:
    """This checkout's package and hook file, committed in a repository of their own (the
    checkout may have uncommitted changes; pre-commit installs a committed revision)."""
    repo = checkout_copy(tmp_path / "hook-source")  # what a clone has, nothing less
    git("init", "-q", cwd=repo)
    git("add", ".", cwd=repo)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "hook", cwd=repo)
    return repo, git("rev-parse", "HEAD", cwd=repo)


@pytest.mark.slow
def test_pre_commit_stops_a_job_script_that_points_at_home(tmp_path: Path) -> None:
    need("git")
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    assert pre_commit, "pre-commit is in the test extra"
    source, rev = hook_source(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    git("init", "-q", cwd=project)
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {source}\n  rev: {rev}\n  hooks:\n  - id: scratchenv-lint-scripts\n")
    (project / "train.slurm").write_text("#!/bin/bash\nexport HF_HOME=$HOME/.cache/hf\n")
    (project / "ok.sbatch").write_text('#!/bin/bash\nexport HF_HOME="${HF_HOME:-$HOME/hf}"\n')
    (project / "run.sh").write_text("#!/bin/bash\nsource .venv/bin/activate\n")
    (project / "notes.txt").write_text("export HF_HOME=$HOME/hf\n")  # not a job script
    git("add", ".", cwd=project)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"),
           "HOME": str(project.parent)}  # the checkout is "in home": run.sh's .venv is too
    env.pop("SCRATCHENV_ROOT", None)
    result = subprocess.run([pre_commit, "run", "--all-files"], cwd=project, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "train.slurm:2: re-points HF_HOME at home" in result.stdout
    assert "run.sh:2: activates a virtual environment inside home" in result.stdout
    assert "ok.sbatch" not in result.stdout and "notes.txt" not in result.stdout
    # Fixed, the same run passes.
    (project / "train.slurm").write_text("#!/bin/bash\npython train.py\n")
    (project / "run.sh").write_text('#!/bin/bash\nsource "$VENV_PATH/bin/activate"\n')
    fixed = subprocess.run([pre_commit, "run", "--all-files"], cwd=project, env=env,
                           capture_output=True, text=True, timeout=900)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
