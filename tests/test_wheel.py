"""The installed wheel is the product: built and installed into a fresh venv outside the
checkout (the `installed` fixture in conftest.py), and what users run is run from there."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture
def user(installed: Path, tmp_path: Path, isolated: Path) -> dict[str, str]:
    """A user's environment: the venv is all there is (no checkout, no PYTHONPATH)."""
    root = tmp_path / "scratch"
    root.mkdir()
    return {"HOME": str(isolated), "PATH": f"{installed}:/usr/bin:/bin", "USER": "alice",
            "SCRATCHENV_ROOT": str(root), "LANG": "C.UTF-8"}


def scratchenv(installed: Path, user: dict[str, str], *args: str, cwd: Path | None = None):
    return run([str(installed / "scratchenv"), *args], env=user, cwd=cwd)


def test_it_runs_from_the_venv_not_the_checkout(installed, user, tmp_path):
    done = run([str(installed / "python"), "-c", "import scratchenv; print(scratchenv.__file__)"],
               env=user, cwd=tmp_path)
    assert done.stdout.startswith(str(installed.parent)), done.stdout


def test_activate_and_init_give_a_login_shell_the_scratch_environment(installed, user):
    done = scratchenv(installed, user, "activate", "--shell", "bash")
    assert done.returncode == 0, done.stderr
    shown = run(["bash", "-c", f'. "{done.stdout.strip()}" && echo "$HF_HOME"'], env=user)
    assert shown.stdout.strip() == f"{user['SCRATCHENV_ROOT']}/cache/huggingface"

    assert scratchenv(installed, user, "init", "bash").returncode == 0
    bashrc = Path(user["HOME"], ".bashrc").read_text()
    assert str(installed / "scratchenv") in bashrc  # found by absolute path, PATH or not
    login = {**user, "PATH": "/usr/bin:/bin"}
    shown = run(["bash", "-c", '. ~/.bashrc && echo "$HF_HOME"'], env=login)
    assert shown.stdout.strip() == f"{user['SCRATCHENV_ROOT']}/cache/huggingface"


@pytest.mark.parametrize(
    "fmt", ["table", "sh", "bash", "zsh", "fish", "dotenv", "json", "lmod", "tcl"])
def test_env_in_every_format(installed, user, fmt):
    done = scratchenv(installed, user, "env", "--format", fmt)
    assert done.returncode == 0, done.stderr
    assert "cache/huggingface" in done.stdout
    if fmt == "json":
        assert json.loads(done.stdout)["HF_HOME"].endswith("/cache/huggingface")


def test_checkpoints_template_and_verify(installed, user, tmp_path):
    work = tmp_path / "work"
    done = scratchenv(installed, user, "checkpoints", "setup", cwd=work)
    assert done.returncode == 0, done.stderr
    directory = scratchenv(installed, user, "checkpoints", "dir", cwd=work).stdout.strip()
    assert Path(directory).is_dir() and directory.startswith(user["SCRATCHENV_ROOT"])
    status = scratchenv(installed, user, "checkpoints", "status", "--json", cwd=work)
    assert status.returncode == 0, status.stderr

    job = scratchenv(installed, user, "template", "slurm", "--", "python", "train.py")
    assert job.returncode == 0, job.stderr
    assert job.stdout.startswith("#!/bin/bash") and "python train.py" in job.stdout

    file = scratchenv(installed, user, "activate", "--shell", "bash").stdout.strip()
    verified = run(["bash", "-c", f'. "{file}" && scratchenv verify'], env=user)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_the_checkpoint_api_in_a_training_venv(installed, user, tmp_path):
    # README: `pip install scratchenv` in the training venv, then the snippet's imports.
    code = (
        "import sys\n"
        "from scratchenv.checkpoints import (cleanup_old_checkpoints, latest_checkpoint,\n"
        "                                    setup_checkpoint_directory)\n"
        "d = setup_checkpoint_directory()\n"
        "print(d); print(latest_checkpoint(d))\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules\n"
    )
    done = run([str(installed / "python"), "-c", code], env=user, cwd=tmp_path / "work")
    assert done.returncode == 0, done.stderr
    directory, latest = done.stdout.split("\n")[:2]
    assert directory.startswith(user["SCRATCHENV_ROOT"]) and latest == "None"


def test_the_generated_taskprolog_wrapper_runs_the_wheel_with_and_without_a_kept_answer(
        installed, user, tmp_path):
    program = scratchenv(installed, user, "taskprolog", "--wrapper")
    assert program.returncode == 0, program.stderr
    assert str(installed.parent / "lib") in program.stdout  # the venv's site-packages
    wrapper = tmp_path / "taskprolog"
    wrapper.write_text(program.stdout)
    wrapper.chmod(0o755)
    job = {**user, "SLURM_JOB_ID": "5", "TMPDIR": str(tmp_path)}
    expected = run([str(installed / "scratchenv"), "env", "--format", "taskprolog"], env=job)
    assert expected.returncode == 0 and "cache/huggingface" in expected.stdout
    # The first task builds the settings (site run by hand: pydantic is in site-packages);
    # the next is answered from what the first kept.
    for _ in range(2):
        done = run([str(wrapper)], env=job, cwd=tmp_path)
        assert (done.returncode, done.stderr, done.stdout) == (0, "", expected.stdout)
    assert list(Path(user["HOME"], ".local/state/scratchenv/cache").glob("taskprolog-*"))
