"""A checkout's own .venv with the real uv: nanochat's speedrun sequence after `link-venv`
keeps home small; an existing .venv in home is found by doctor, moved by migrate and still
runs; verify reports one inside home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import need, unavailable
from helpers.cli import cli
from helpers.fs import isolate
from helpers.users import ALICE, MALLORY
from helpers.wheels import make_wheel

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


def _git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          check=True)
    return done.stdout


@pytest.fixture
def repo(root: Path, isolated: Path) -> Path:
    """A git checkout in home whose .gitignore says `.venv/` (it matches a directory only)."""
    need("git")
    path = isolated / "nanochat"
    path.mkdir()
    _git("init", "-q", cwd=path)
    (path / ".gitignore").write_text(".venv/\n")
    return path


def test_link_venv_keeps_the_link_out_of_git_and_makes_its_target(repo, root):
    linked = cli("link-venv", cwd=repo)
    assert linked.returncode == 0, linked.stderr
    assert (repo / ".venv").is_symlink() and (repo / ".venv").resolve().is_dir()
    assert os.path.realpath(repo / ".venv").startswith(f"{root}/venvs/")
    assert _git("status", "--porcelain", cwd=repo) == "?? .gitignore\n"
    _git("add", "-A", cwd=repo)
    assert _git("diff", "--cached", "--name-only", cwd=repo) == ".gitignore\n"
    assert cli("link-venv", cwd=repo).returncode == 0  # again: excluded once
    exclude = (repo / ".git" / "info" / "exclude").read_text().splitlines()
    assert exclude.count(".venv") == 1


def test_after_link_venv_the_gate_accepts_the_checkouts_venv_lines(repo, root):
    from scratchenv.checks.script import lint

    script = "#!/bin/bash\n[ -d .venv ] || uv venv\nsource .venv/bin/activate\n"
    plan = build_plan(load_settings())
    names = {change.name for change in plan.variables}

    def problems() -> list[str]:
        return [p.check for p in lint(script, names=names, home=plan.home,
                                      script_dir=str(repo))]

    assert problems() == ["script.venv_in_home", "script.venv_in_home"]  # a real .venv here
    assert cli("link-venv", cwd=repo).returncode == 0
    assert problems() == []


def test_verify_fails_on_a_checkout_whose_venv_link_dangles(repo, root):
    assert cli("link-venv", cwd=repo).returncode == 0
    target = os.path.realpath(repo / ".venv")
    activated = build_plan(load_settings()).apply(os.environ)
    fine = cli("verify", cwd=repo, env=activated)
    assert fine.returncode == 0, fine.stdout
    os.rmdir(target)  # scratch purged, or `clean` took it
    broken = cli("verify", cwd=repo, env=activated)
    assert broken.returncode == 1
    assert f"{repo}/.venv is a link to {target}, which is gone" in broken.stdout
    assert f"scratchenv link-venv {repo}" in broken.stdout


def test_the_template_job_activates_the_checkouts_venv_before_the_project_venv(tmp_path):
    from scratchenv.shells.jobscript import render_job_script

    script = render_job_script(["scratchenv"], project="nanochat", venv_var="NANOCHAT_VENV")
    start = script.index("# The venv")
    venv_part = script[start:script.index("\nfi\n", start) + 4]
    checkout, project = tmp_path / "checkout", tmp_path / "project-venv"
    for venv in (checkout / ".venv", project):
        (venv / "bin").mkdir(parents=True)
        (venv / "bin" / "activate").write_text(f"WHICH={venv}\n")

    def which(where: Path) -> str:
        return subprocess.run(["bash", "-c", f'{venv_part}printf %s "$WHICH"'], cwd=where,
                              env={"NANOCHAT_VENV": str(project), "PATH": "/usr/bin:/bin"},
                              capture_output=True, text=True, check=True).stdout

    assert which(checkout) == str(checkout / ".venv")
    assert which(tmp_path) == str(project)


def test_link_venv_where_one_cannot_write_says_so_and_leaves_nothing(people):
    people.configure(ALICE)
    theirs = people.mkdir(MALLORY, people.base / "mallorys-checkout", mode=0o755)
    done = people.scratchenv(ALICE, "link-venv", str(theirs))
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert f"cannot link {theirs}/.venv: Permission denied" in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert list(people.root(ALICE).iterdir()) == []  # no venvs/ left under the root
    assert not os.path.lexists(theirs / ".venv")


def test_link_venv_under_a_purge_policy_gives_moved_files_the_current_time(repo, root,
                                                                          monkeypatch):
    """The purge policy reaches link-venv as it reaches migrate (Plan.keeps_times): a venv
    moved onto purged scratch with its old times would be the next purge's first victim."""
    venv = repo / ".venv"
    (venv / "lib").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (venv / "lib" / "site.py").write_text("x = 1\n")
    old = time.time() - 200 * 86400
    for path in (venv / "pyvenv.cfg", venv / "lib" / "site.py"):
        os.utime(path, (old, old))
    monkeypatch.setenv("SCRATCHENV_PURGE__DAYS", "30")
    before = time.time() - 5
    linked = cli("link-venv", cwd=repo)
    assert linked.returncode == 0, linked.stderr
    moved = Path(os.path.realpath(venv))
    assert moved.is_relative_to(root)
    for path in (moved / "pyvenv.cfg", moved / "lib" / "site.py"):
        st = os.lstat(path)
        assert st.st_mtime >= before and st.st_atime >= before, path
