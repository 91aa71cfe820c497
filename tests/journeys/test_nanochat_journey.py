"""The nanochat-on-a-cluster journey, end to end, as a new user walks it.

A stock Debian home (/etc/skel), a config file with `root` and `project = "nanochat"`,
`scratchenv init bash`, a new interactive login shell, `bootstrap --venv`, `template slurm`,
`scratchenv sbatch` on the real one-node Slurm, then `clean caches --apply --yes`. The
installed console script is what runs, as the user would run it. Each piece has its own
tests; this one catches the gaps between them.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import need, unavailable

SCRATCHENV = Path(sys.executable).parent / "scratchenv"
SKEL = Path("/etc/skel")
JOB_PROBE = ("import os, sys; open(sys.argv[1], 'w').write('\\n'.join("
             "[f'PYTHON={sys.executable}', f'PREFIX={sys.prefix}'] + "
             "[f'{k}={v}' for k, v in sorted(os.environ.items())]) + '\\n')")


@pytest.fixture
def user(isolated: Path, tmp_path: Path, cluster, monkeypatch: pytest.MonkeyPatch):
    """A new user's home from /etc/skel, a scratch root and the config file naming both."""
    need("bash")
    if not (SKEL / ".bashrc").is_file():
        unavailable("no stock /etc/skel/.bashrc (Debian's bash package provides it)")
    for name in (".bashrc", ".profile", ".bash_logout"):
        if (SKEL / name).is_file():
            shutil.copy(SKEL / name, isolated / name)
    # `pip install --user scratchenv`: the stock ~/.profile puts ~/.local/bin on PATH
    # (/etc/profile resets PATH in a login shell).
    (isolated / ".local" / "bin").mkdir(parents=True)
    (isolated / ".local" / "bin" / "scratchenv").symlink_to(SCRATCHENV)
    root = tmp_path / "scratch"
    root.mkdir()
    config = isolated / ".config" / "scratchenv" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'root = "{root}"\nproject = "nanochat"\n')
    env = {"HOME": str(isolated), "USER": os.environ.get("USER", "root"),
           "PATH": "/usr/local/bin:/usr/bin:/bin",
           "LANG": "C.UTF-8", "TERM": "dumb", **cluster.env}
    return isolated, root, env


def login_shell(commands: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """A new interactive login shell, as after `ssh cluster`: ~/.profile, then ~/.bashrc."""
    return subprocess.run(["bash", "--login", "-i", "-c", commands], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300, stdin=subprocess.DEVNULL)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_nanochat_journey(user, cluster, tmp_path):
    home, root, env = user
    work = tmp_path / "nanochat"
    work.mkdir()

    # 1. init: the block goes into the rc file; nothing else in the stock rc file changes.
    before = (home / ".bashrc").read_text()
    done = subprocess.run([str(home / ".local" / "bin" / "scratchenv"), "init", "bash"],
                          capture_output=True, text=True, env=env, cwd=work)
    assert done.returncode == 0, done.stderr
    rc_files = "".join((home / n).read_text() for n in (".bashrc", ".profile", ".bash_profile")
                       if (home / n).exists())
    assert "# >>> scratchenv >>>" in rc_files
    assert before in rc_files or before in (home / ".bashrc").read_text()

    # 2. a new login shell has the scratch environment
    shell = login_shell('printf "%s\\n" "$HF_HOME" "$NANOCHAT_BASE_DIR" "$VENV_PATH"', env, work)
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.splitlines()[-3:] == [
        f"{root}/cache/huggingface", f"{root}/nanochat-cache", f"{root}/nanochat-venv"]

    # 3. bootstrap the venv, 4. the job script, 5. submit it through the gate
    inside = tmp_path / "inside.env"
    command = shlex.join(["python", "-c", JOB_PROBE, str(inside)])
    shell = login_shell(
        "set -e\n"
        "scratchenv bootstrap --venv\n"
        f"scratchenv template slurm -- {command} > job.slurm\n"
        "scratchenv sbatch job.slurm\n", env, work)
    assert shell.returncode == 0, shell.stdout + shell.stderr
    job_id = shell.stdout.split("Submitted batch job ")[1].split()[0]
    state = cluster.wait_for_job(job_id)
    log = root / "logs" / f"nanochat-{job_id}.out"
    assert state["JobState"] == "COMPLETED", (state, log.read_text() if log.exists() else "")

    # 6. inside the job: the venv's python and the scratch variables
    seen = dict(line.split("=", 1) for line in inside.read_text().splitlines() if "=" in line)
    venv = root / "nanochat-venv"
    assert (seen["PYTHON"], seen["PREFIX"]) == (f"{venv}/bin/python", str(venv))
    for name, value in {"HF_HOME": f"{root}/cache/huggingface", "SCRATCHENV_PROJECT": "nanochat",
                        "NANOCHAT_BASE_DIR": f"{root}/nanochat-cache", "VENV_PATH": str(venv),
                        "UV_CACHE_DIR": f"{root}/cache/uv", "CARGO_HOME": f"{root}/.cargo",
                        "PIP_CACHE_DIR": f"{root}/cache/pip"}.items():
        assert seen.get(name) == value, name
    assert "scratchenv verify --node: ok" in log.read_text()

    # 7. plant what a person made in every non-cache location, and files in every cache
    planted: dict[Path, str] = {}
    caches: list[Path] = []
    for var, (group, value) in _locations(env, work).items():
        place = Path(value)
        if root not in place.parents:
            continue  # the token, pinned in home: planted below
        if group == "cache":
            path = place / "planted-cache" / "blob"
            caches.append(path)
        else:
            path = place / "made-by-me" / f"{var}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(64) + var.encode())
        if group != "cache":
            planted[path] = digest(path)
    unsynced = root / "wandb" / "runs" / "wandb" / "offline-run-20260101_000000-abc"
    extras = [unsynced / "run-abc.wandb", root / "cache" / "ccache" / "ccache.conf",
              root / "cache" / "huggingface" / "accelerate" / "default_config.yaml",
              home / ".cache" / "huggingface" / "token", log,
              root / "checkpoints_scratch_nanochat" / "checkpoint-1" / "model.bin"]
    for path in extras:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(64))
        planted[path] = digest(path)
    for path in (venv / "bin" / "python", venv / "pyvenv.cfg"):
        planted[path] = digest(path)
    assert len(caches) >= 20 and len(planted) >= 20

    # 8. clean caches: user data byte-identical, planted caches gone
    shell = login_shell("scratchenv clean caches --apply --yes", env, work)
    assert shell.returncode == 0, shell.stdout + shell.stderr
    changed = [str(p) for p, d in planted.items() if not p.exists() or digest(p) != d]
    assert changed == []
    assert [str(p) for p in caches if p.exists()] == []


def _locations(env: dict[str, str], cwd: Path) -> dict[str, tuple[str, str]]:
    """Each variable's group and place under these settings, from the installed package."""
    probe = subprocess.run([sys.executable, "-c",
                            "from scratchenv.config.settings import load_settings\n"
                            "from scratchenv.plan import build_plan\n"
                            "for c in build_plan(load_settings()).variables:\n"
                            "    if c.entry: print(c.name, c.entry.group, c.value)"],
                           capture_output=True, text=True, env=env, cwd=cwd)
    assert probe.returncode == 0, probe.stderr
    rows = (line.split(" ", 2) for line in probe.stdout.splitlines())
    return {var: (group, value) for var, group, value in rows}
