"""The checkpoint commands and the Python API from an installed wheel, not the checkout: built
with `pip wheel --no-deps .`, installed into a fresh venv outside the checkout (dependencies
from the configured index), run in a git repository elsewhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import need

CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin directory of a fresh venv with the wheel installed."""
    need("git")
    where = tmp_path_factory.mktemp("wheel")
    # A copy of the checkout's files (less what git ignores): building in the checkout would
    # leave build/ there, and a stale build/lib could slip removed modules into the wheel.
    source = where / "source"
    tracked = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], cwd=CHECKOUT, capture_output=True,
                             check=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        if (CHECKOUT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(CHECKOUT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(source),
                    "-w", str(where / "dist")], check=True, capture_output=True, cwd=where)
    (wheel,) = (where / "dist").glob("scratchenv-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(where / "venv")], check=True)
    pip = subprocess.run([str(where / "venv" / "bin" / "pip"), "install", "-q", str(wheel)],
                         capture_output=True, text=True, cwd=where)
    assert pip.returncode == 0, pip.stderr
    return where / "venv" / "bin"


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
