"""A checkout's own .venv with the real uv: nanochat's speedrun sequence after `link-venv`
keeps home small; an existing .venv in home is found by doctor, moved by migrate and still
runs; verify reports one inside home."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import cli, unavailable
from fs_helpers import isolate
from wheels import make_wheel

from scratchenv import proc
from scratchenv.config.settings import load_settings
from scratchenv.disk.usage import scan
from scratchenv.plan import build_plan

SCRIPT = "ANSWER = 42\n\ndef main():\n    print('answer', ANSWER)\n"


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """nanochat-like: a uv project in a checkout in home, its one dependency (with a console
    script) only in a local wheel directory; uv on PATH; the activated environment."""
    try:
        from uv import find_uv_bin

        uv = find_uv_bin()
    except (ImportError, FileNotFoundError):
        unavailable("uv is missing (pip install -e '.[test]')")
    home, root = tmp_path / "home", tmp_path / "scratch"
    isolate(monkeypatch, home, root)
    for name in [n for n in os.environ if n.startswith(("UV_", "VIRTUAL_ENV", "PIP_"))]:
        monkeypatch.delenv(name)
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "sitepkg", "0.1", {
        "sitepkg/__init__.py": SCRIPT.encode(),
        "sitepkg-0.1.dist-info/entry_points.txt":
            b"[console_scripts]\nsitepkg-hello = sitepkg:main\n",
    })
    project = home / "nanochat"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "nanochat"\nversion = "0.1"\nrequires-python = ">=3.10"\n'
        'dependencies = ["sitepkg"]\n\n[tool.uv]\npackage = false\nno-index = true\n'
        f'find-links = ["{wheels}"]\n')
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "uv").symlink_to(uv)
    base = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "UV_PYTHON": sys.executable}
    activated = build_plan(load_settings()).apply(base)
    return {"home": home, "root": root, "project": project, "env": activated}  # type: ignore[dict-item]


def speedrun(checkout: dict) -> proc.CommandResult:
    """runs/speedrun.sh's environment lines, then the venv's python and its script."""
    return proc.run(["bash", "-c", "set -e; uv venv -q && uv sync -q && source .venv/bin/activate "
                     "&& python -c 'import sys, sitepkg; print(sys.prefix)' && sitepkg-hello"],
                    env=checkout["env"], cwd=str(checkout["project"]), timeout=300)


def test_speedrun_after_link_venv_keeps_home_small(checkout):
    project, root, home = checkout["project"], checkout["root"], checkout["home"]
    linked = cli("link-venv", env=checkout["env"], cwd=project)
    assert linked.returncode == 0, linked.stderr
    target = os.path.realpath(project / ".venv")
    assert target.startswith(f"{root}/venvs/home_nanochat-")
    assert linked.stdout == f"{project}/.venv -> {target}: linked\n"
    before = scan(str(home)).bytes
    result = speedrun(checkout)
    assert result.ok, result.stderr
    assert result.stdout.splitlines()[-1] == "answer 42"
    assert (project / ".venv").is_symlink() and scan(target).files > 20
    # What is left in home: uv.lock (and the link); the venv and uv's cache are on scratch.
    assert sorted(p.name for p in project.iterdir()) == [".venv", "pyproject.toml", "uv.lock"]
    assert scan(str(home)).bytes - before <= 8192
    ok = cli("verify", "-v", env={**checkout["env"], "VIRTUAL_ENV": str(project / ".venv")},
             cwd=project)
    assert "✓ " in ok.stdout and f"{project}/.venv is on scratch" in ok.stdout
    # A second link-venv (after a purge took the directory) makes the directory again.
    assert cli("link-venv", str(project), env=checkout["env"]).stdout.endswith(
        ": already linked\n")


def test_doctor_finds_a_venv_in_home_migrate_moves_it_and_it_still_runs(checkout):
    project, root, env = checkout["project"], checkout["root"], checkout["env"]
    assert speedrun(checkout).ok  # no link-venv: the venv lands in home
    venv = project / ".venv"
    assert venv.is_dir() and not venv.is_symlink()
    failing = cli("verify", "--json", env=env, cwd=project)
    finding = next(f for f in json.loads(failing.stdout)["findings"]
                   if f["check"] == "venv.checkout")
    assert (finding["status"], finding["fix"]) == ("fail", f"scratchenv link-venv {project}")

    small = {**env, "SCRATCHENV_THRESHOLDS__LARGE_VENV": "1K"}
    doctor = cli("doctor", "--json", env=small)
    assert doctor.returncode == 1
    found = {f["path"]: f for f in json.loads(doctor.stdout)["findings"]}
    assert str(project) not in found, "not also reported as an unknown large directory"
    finding = found[str(venv)]
    assert finding["fixable"] and finding["tool"] == "venvs"
    assert finding["action"].startswith(f"`scratchenv migrate venvs` moves it to {root}/venvs/")
    ignored = cli("doctor", "--json", env={**env, "SCRATCHENV_THRESHOLDS__LARGE_VENV": "10G"})
    assert str(venv) not in {f["path"] for f in json.loads(ignored.stdout)["findings"]}

    moved = cli("migrate", "venvs", "--apply", "--yes", env=small)
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert venv.is_symlink() and os.path.realpath(venv).startswith(f"{root}/venvs/")
    # Its python, its activate script and its scripts' shebangs (absolute paths to the old
    # place, now the link) all still work.
    result = proc.run(["bash", "-c", "source .venv/bin/activate && sitepkg-hello && "
                       "python -c 'import sitepkg'"], env=env, cwd=str(project))
    assert result.ok and result.stdout == "answer 42\n", result.stderr
    assert proc.run([str(venv / "bin" / "sitepkg-hello")], env=env).stdout == "answer 42\n"
    again = cli("doctor", "--json", env=small)
    assert str(venv) not in {f["path"] for f in json.loads(again.stdout)["findings"]}
    rerun = cli("migrate", "venvs", "--apply", "--yes", env=small)
    assert (rerun.returncode, rerun.stdout) == (
        0, "venvs: no checkout's .venv in home over thresholds.large_venv\n")
    # And uv keeps using it through the link.
    synced = proc.run(["uv", "sync", "-q"], env=env, cwd=str(project), timeout=300)
    assert synced.ok and venv.is_symlink(), synced.stderr
