"""Inside a job, every format puts the node-local caches in the user's own node-local
directory ($SLURM_TMPDIR, else $TMPDIR, then scratchenv-<user>; or the `node_local`
setting), makes it 0700, and refuses one that is someone else's, a link, or writable by
others: one line on stderr, and the caches stay on scratch. Python (the plan, `verify
--node`) agrees with what each real shell and module tool did."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from helpers import need, need_root
from test_modulefiles import DUMP, FILE_NAME, INIT, tool
from test_same_values import SOURCE

from scratchenv.config.settings import load_settings
from scratchenv.plan import build_plan
from scratchenv.shells import renderer

FORMATS = [*sorted(SOURCE), "lmod", "tcl"]
NOBODY = 65534


def activated(fmt: str, tmp_path: Path, environ: dict[str, str]) -> tuple[dict, str]:
    """The environment after `fmt`'s file is sourced or loaded in `environ`, and stderr."""
    plan = build_plan(load_settings())
    if fmt in SOURCE:
        need(fmt)
        script = tmp_path / f"activate.{fmt}"
        script.write_text(renderer(fmt).render(plan, environ))
        argv = [*SOURCE[fmt], str(script)]
    else:
        tool(fmt)
        modules = tmp_path / f"modules-{fmt}"
        modules.mkdir(exist_ok=True)
        (modules / FILE_NAME[fmt]).write_text(renderer(fmt).render(plan, environ))
        session = f'{INIT[fmt]}\nexport MODULEPATH="$1"\nmodule load scratchenv || exit 98\n{DUMP}'
        argv = ["bash", "-c", session, "bash", str(modules)]
    done = subprocess.run(argv, env=environ, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1]), done.stderr


@pytest.fixture
def job(root: Path, isolated: Path, tmp_path: Path) -> dict[str, str]:
    node = tmp_path / "node-tmp"
    node.mkdir()
    node.chmod(0o1777)  # Slurm's default TMPDIR: /tmp, shared by every user of the node
    return {"HOME": str(isolated), "USER": "alice", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
            "SCRATCHENV_ROOT": str(root), "SLURM_JOB_ID": "7", "TMPDIR": str(node)}


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_makes_the_users_own_node_directory(fmt, job, tmp_path, monkeypatch):
    monkeypatch.setenv("USER", "alice")
    mine = Path(job["TMPDIR"]) / "scratchenv-alice"
    seen, stderr = activated(fmt, tmp_path, job)
    assert seen["TRITON_CACHE_DIR"] == f"{mine}/cache/triton"
    assert stat.S_IMODE(mine.stat().st_mode) == 0o700 and not mine.is_symlink()
    assert "node-local" not in stderr
    plan = build_plan(load_settings())
    assert plan.exported_in(plan.get("TRITON_CACHE_DIR"), job) == seen["TRITON_CACHE_DIR"]


def _someone_elses(path: Path) -> None:
    path.mkdir()
    os.chown(path, NOBODY, NOBODY)


def _open_to_all(path: Path) -> None:
    path.mkdir(mode=0o777)
    path.chmod(0o777)


def _a_link(path: Path) -> None:
    target = path.parent / "elsewhere"
    target.mkdir(mode=0o700)
    path.symlink_to(target)


@pytest.mark.parametrize("squat", [_someone_elses, _open_to_all, _a_link])
@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_refuses_a_node_directory_not_the_users_alone(fmt, squat, job, root,
                                                                  tmp_path, monkeypatch):
    if squat is _someone_elses:
        need_root("to give a directory to another user")
    monkeypatch.setenv("USER", "alice")
    squat(Path(job["TMPDIR"]) / "scratchenv-alice")
    seen, stderr = activated(fmt, tmp_path, job)
    assert seen["TRITON_CACHE_DIR"] == f"{root}/cache/triton"  # stays on scratch
    assert stderr.count("scratchenv: node-local directory") == 1, stderr
    plan = build_plan(load_settings())
    assert plan.exported_in(plan.get("TRITON_CACHE_DIR"), job) == seen["TRITON_CACHE_DIR"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_site_node_local_setting_is_followed_and_needs_its_variables(fmt, job, root,
                                                                       tmp_path, monkeypatch):
    local = tmp_path / "lscratch"
    (local / "7").mkdir(parents=True)
    monkeypatch.setenv("USER", "alice")
    monkeypatch.setenv("SCRATCHENV_NODE_LOCAL", f"{local}/{{env[SLURM_JOB_ID]}}/{{user}}")
    seen, _ = activated(fmt, tmp_path, job)
    assert seen["TRITON_CACHE_DIR"] == f"{local}/7/alice/cache/triton"
    outside = {k: v for k, v in job.items() if k != "SLURM_JOB_ID"}
    seen, _ = activated(fmt, tmp_path, outside)
    assert seen["TRITON_CACHE_DIR"] == f"{root}/cache/triton"


@pytest.mark.parametrize("pattern", ["relative/{user}", "/x/{user.__class__}", "/x/{uid}",
                                     "/x/{env[A-B]}", "/x/../{user}"])
def test_a_node_local_setting_beyond_the_placeholders_is_refused(pattern, root, monkeypatch):
    from scratchenv.errors import ConfigError

    monkeypatch.setenv("SCRATCHENV_NODE_LOCAL", pattern)
    with pytest.raises((ConfigError, ValueError)):
        load_settings()


@pytest.mark.parametrize("shell", ["sh", "bash", "zsh"])
def test_a_node_directory_that_cannot_be_made_does_not_end_a_set_e_job(shell, job, root,
                                                                        tmp_path, monkeypatch):
    need(shell)
    monkeypatch.setenv("USER", "alice")
    job = {**job, "TMPDIR": str(tmp_path / "no-such-dir")}
    script = tmp_path / f"activate.{shell}"
    script.write_text(renderer(shell).render(build_plan(load_settings()), job))
    done = subprocess.run([shell, "-c", f'set -e; . "$1"; {DUMP}', shell, str(script)],
                          env=job, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr  # the template job runs under `set -e`
    assert json.loads(done.stdout)["TRITON_CACHE_DIR"] == f"{root}/cache/triton"
    assert done.stderr.count("scratchenv: node-local directory") == 1
