"""env and activate with two roots, in a real bash: the venv and toolchains on the persistent
root, caches on scratch; deactivation restores the environment; a profile's $WORK is an input."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from helpers import need
from helpers.cli import cli
from helpers.roots import Roots


def test_env_json_and_table_put_each_group_on_its_root(two_roots: Roots) -> None:
    root, work = two_roots.scratch, two_roots.work
    result = cli("env", "--format", "json")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["VENV_PATH"] == f"{work}/nanochat-venv"
    assert values["CARGO_HOME"] == f"{work}/.cargo"
    assert values["HF_HOME"] == f"{root}/cache/huggingface"
    table = cli("env").stdout
    assert f"scratch root: {root}\npersistent root: {work}\n" in table


def test_bash_sources_the_activation_and_deactivates_exactly(two_roots: Roots) -> None:
    root, work = two_roots.scratch, two_roots.work
    bash = need("bash")
    path = cli("activate", "--shell", "bash").stdout.strip()
    script = (f'before=$(env | sort); . "{path}"; '
              'printf "%s\\n" "$VENV_PATH" "$RUSTUP_HOME" "$PIP_CACHE_DIR" "$PATH"; '
              'scratchenv_deactivate; after=$(env | sort); '
              '[ "$before" = "$after" ] && echo restored')
    done = subprocess.run([bash, "--norc", "--noprofile", "-c", script],
                          capture_output=True, text=True, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    venv, rustup, pip, path_after, restored = done.stdout.splitlines()
    assert (venv, rustup, pip) == (f"{work}/nanochat-venv", f"{work}/.rustup",
                                   f"{root}/cache/pip")
    assert f"{work}/.cargo/bin" in path_after.split(":")
    assert restored == "restored"


def test_a_changed_work_variable_regenerates_the_activation(tmp_path: Path) -> None:
    """The tacc profile reads $WORK: the fresh-file check must notice when it changes."""
    scratch = tmp_path / "scratch1"
    scratch.mkdir()
    env = {**os.environ, "SCRATCH": str(scratch), "SCRATCHENV_PROFILE": "tacc"}
    firsts = []
    for name in ("work-a", "work-b"):
        (tmp_path / name).mkdir()
        env["WORK"] = str(tmp_path / name)
        result = cli("activate", "--shell", "bash", env=env)
        assert result.returncode == 0, result.stderr
        firsts.append(Path(result.stdout.strip()).read_text())
    assert f"{tmp_path}/work-a/.cargo" in firsts[0]
    assert f"{tmp_path}/work-b/.cargo" in firsts[1]
