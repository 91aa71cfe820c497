"""Modulefiles with the real Lmod (Lua) and the real Environment Modules (Tcl): `module
load` gives what the bash activation gives, for another user than the one who generated the
file, and `module unload` restores the environment (the tools' bookkeeping aside)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import HOSTILE_NAME, unavailable
from helpers.cli import cli

from scratchenv.config.settings import load_settings
from scratchenv.plan import build_plan
from scratchenv.shells import renderer

LMOD_INIT = "/usr/share/lmod/lmod/init/bash"
# The Debian packages lmod and environment-modules conflict: `make test` unpacks the latter
# into .tools/ (tools/unpack-deb) and runs its modulecmd.tcl with tclsh.
MODULECMD = (Path(__file__).resolve().parents[2] / ".tools" / "environment-modules" / "usr"
             / "lib" / "x86_64-linux-gnu" / "modulecmd.tcl")
DUMP = f"{sys.executable} -c 'import json, os; print(json.dumps(dict(os.environ)))'"
INIT = {
    "lmod": f". {LMOD_INIT} >/dev/null 2>&1 || exit 97",
    "tcl": f'module() {{ eval "$(tclsh {MODULECMD} bash "$@")"; }}',
}
SESSION = """  # (`exit 0` last: bash -c execs a last command in place, lowering SHLVL)
export MODULEPATH="$1"
{DUMP}
module load scratchenv || exit 98
{DUMP}
module unload scratchenv || exit 99
{DUMP}
exit 0
""".replace("{DUMP}", DUMP)
# The tools keep their state in these (module tables, reference counts, pushenv stacks).
BOOKKEEPING = ("_ModuleTable", "__LMOD_", "__MODULES_", "_LMFILES_", "LOADEDMODULES")
FILE_NAME = {"lmod": "scratchenv.lua", "tcl": "scratchenv"}


def tool(fmt: str) -> None:
    if fmt == "lmod" and not os.path.exists(LMOD_INIT):
        unavailable("Lmod is not installed; `make test` installs it (Debian package lmod)")
    if fmt == "tcl" and not (MODULECMD.exists() and shutil.which("tclsh")):
        unavailable("Environment Modules is not unpacked; `make test` does it")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The scratch file system: /site/<user> for every user."""
    path = tmp_path / "site"
    (path / "admin").mkdir(parents=True)
    (path / "alice").mkdir()
    return path


def generate(fmt: str, site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The modulefile as the centre's admin writes it, with their own root."""
    monkeypatch.setenv("USER", "admin")
    monkeypatch.setenv("SCRATCHENV_ROOT", str(site / "admin"))
    text = renderer(fmt).render(build_plan(load_settings()), os.environ)
    modules = tmp_path / f"modules-{fmt}"
    modules.mkdir()
    (modules / FILE_NAME[fmt]).write_text(text)
    monkeypatch.delenv("SCRATCHENV_ROOT")
    return modules


def user_env(home: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(home), "USER": "alice", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
            **extra}


def bash_values(env: dict[str, str], tmp_path: Path, monkeypatch) -> dict[str, str]:
    """What the bash activation gives alice, built from her own settings."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    plan = build_plan(load_settings())
    script = tmp_path / "activate.bash"
    script.write_text(renderer("bash").render(plan, env))
    done = subprocess.run(["bash", "-c", f'. "$1" && {DUMP}', "bash", str(script)], env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    seen = json.loads(done.stdout)
    names = [change.name for change in plan.variables] + ["PATH"]
    return {name: seen.get(name) for name in names}


def module_session(fmt: str, modules: Path, env: dict[str, str]) -> tuple[dict, dict, dict]:
    session = INIT[fmt] + "\n" + SESSION
    done = subprocess.run(["bash", "-c", session, "bash", str(modules)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    before, loaded, after = (json.loads(line) for line in done.stdout.splitlines())
    return before, loaded, after


def without_bookkeeping(environ: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if not k.startswith(BOOKKEEPING)}


# Both tools' own shell code cuts a value at a newline (Lmod 8.6, Environment Modules 5.2):
# a limit of the tools, not of the files; every other hostile character is kept.
ROOT_NAME = HOSTILE_NAME.replace("\n", "")


@pytest.mark.parametrize("fmt", ["lmod", "tcl"])
def test_load_gives_the_bash_values_and_unload_restores(fmt, site, tmp_path, isolated,
                                                         monkeypatch):
    tool(fmt)
    modules = generate(fmt, site, tmp_path, monkeypatch)
    scratch = tmp_path / ROOT_NAME
    scratch.mkdir()
    # A path list (its value holds `:`) that a site module set before.
    env = user_env(isolated, SCRATCH=str(scratch), HF_HOME="/old/hf",
                   JULIA_DEPOT_PATH="/old/julia:/site/depot")
    expected = bash_values(env, tmp_path, monkeypatch)
    assert expected["HF_HOME"] == f"{scratch}/cache/huggingface"
    assert expected["JULIA_DEPOT_PATH"] == f"{scratch}/julia:"
    before, loaded, after = module_session(fmt, modules, env)
    assert {name: loaded.get(name) for name in expected} == expected
    assert without_bookkeeping(after) == without_bookkeeping(before)
    assert after["HF_HOME"] == "/old/hf"  # pushed, then popped
    assert after["JULIA_DEPOT_PATH"] == "/old/julia:/site/depot"


@pytest.mark.parametrize("fmt", ["lmod", "tcl"])
def test_without_scratch_the_root_follows_the_pattern_for_the_loading_user(
    fmt, site, tmp_path, isolated, monkeypatch
):
    tool(fmt)
    modules = generate(fmt, site, tmp_path, monkeypatch)
    env = user_env(isolated)
    _, loaded, _ = module_session(fmt, modules, env)
    assert loaded["HF_HOME"] == f"{site}/alice/cache/huggingface"
    assert loaded["HF_TOKEN_PATH"] == f"{isolated}/.cache/huggingface/token"
    assert loaded["PATH"].startswith(f"{site}/alice/")


@pytest.mark.parametrize("fmt", ["lmod", "tcl"])
def test_inside_a_job_compile_caches_are_node_local(fmt, site, tmp_path, isolated,
                                                    monkeypatch):
    tool(fmt)
    modules = generate(fmt, site, tmp_path, monkeypatch)
    (tmp_path / "node").mkdir()
    env = user_env(isolated, SCRATCH=str(site / "alice"), SLURM_JOB_ID="7",
                   SLURM_TMPDIR=str(tmp_path / "node"))
    expected = bash_values(env, tmp_path, monkeypatch)
    _, loaded, _ = module_session(fmt, modules, env)
    assert loaded["TRITON_CACHE_DIR"] == f"{tmp_path}/node/scratchenv-alice/cache/triton"
    assert {name: loaded.get(name) for name in expected} == expected


@pytest.mark.parametrize("fmt", ["lmod", "tcl"])
def test_a_site_pattern_ranks_above_scratch(fmt, site, tmp_path, isolated, monkeypatch):
    tool(fmt)
    site_config = tmp_path / "site.toml"
    site_config.write_text(f'root_pattern = "{site}/{{user}}"\n')
    monkeypatch.setenv("SCRATCHENV_SITE_CONFIG", str(site_config))
    monkeypatch.setenv("USER", "admin")
    text = renderer(fmt).render(build_plan(load_settings()), os.environ)
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / FILE_NAME[fmt]).write_text(text)
    env = user_env(isolated, SCRATCH=str(tmp_path))
    _, loaded, _ = module_session(fmt, modules, env)
    assert loaded["HF_HOME"] == f"{site}/alice/cache/huggingface"


@pytest.mark.parametrize(
    ("fmt", "value", "quoted"),
    [
        ("lmod", "/scratch/u", '"/scratch/u"'),
        ("lmod", 'a"b\\c', '"a\\"b\\\\c"'),
        ("lmod", "x\ny\x01", '"x\\ny\\001"'),
        ("lmod", "é $(id)", '"é $(id)"'),
        ("tcl", "/scratch/u", '"/scratch/u"'),
        ("tcl", "$x [id] \"q\" \\", '"\\$x \\[id\\] \\"q\\" \\\\"'),
        ("tcl", "x\ny\x01", '"x\\ny\\u0001"'),
    ],
)
def test_quote_golden(fmt, value, quoted):
    assert renderer(fmt).quote(value) == quoted


@pytest.mark.parametrize("fmt", ["lmod", "tcl"])
def test_nothing_of_the_generating_user_is_baked_in(fmt, site, tmp_path, monkeypatch):
    text = generate(fmt, site, tmp_path, monkeypatch).joinpath(FILE_NAME[fmt]).read_text()
    assert f"{site}/admin" not in text
    assert os.environ["HOME"] not in text


def test_a_root_without_the_user_name_warns_that_the_module_needs_scratch(root, monkeypatch):
    monkeypatch.setenv("USER", "nobody-here")
    done = cli("env", "--format", "lmod")
    assert done.returncode == 0
    assert "has no root pattern" in done.stderr and "root_pattern" in done.stderr
    assert 'getenv("SCRATCH")' in done.stdout
    monkeypatch.setenv("USER", root.name)
    assert cli("env", "--format", "lmod").stderr == ""


@pytest.mark.parametrize("fmt", ["lmod", "tcl"])
def test_a_modulefile_generated_by_root_follows_the_site_config_for_every_user(
        fmt, site, tmp_path, isolated, monkeypatch):
    """Root's own root (/scratch/root-like, $SCRATCHENV_ROOT) is not the site's layout: the
    modulefile takes root_pattern and a persistent_root with {user} from the site config,
    and gives each loading user what their own settings (the site's) give."""
    tool(fmt)
    (site / "users" / "alice").mkdir(parents=True)
    (site / "work" / "alice").mkdir(parents=True)
    site_config = tmp_path / "site.toml"
    site_config.write_text(f'root_pattern = "{site}/users/{{user}}"\n'
                           f'persistent_root = "{site}/work/{{user}}"\n')
    monkeypatch.setenv("SCRATCHENV_SITE_CONFIG", str(site_config))
    modules = generate(fmt, site, tmp_path, monkeypatch)  # as admin, with their own root
    env = user_env(isolated, SCRATCH=str(site / "alice"))  # alice's $SCRATCH: not the site's
    expected = bash_values(env, tmp_path, monkeypatch)
    assert expected["HF_HOME"] == f"{site}/users/alice/cache/huggingface"
    assert expected["CARGO_HOME"] == f"{site}/work/alice/.cargo"
    _, loaded, _ = module_session(fmt, modules, env)
    assert {name: loaded.get(name) for name in expected} == expected


def test_a_persistent_root_with_user_is_each_users_and_nothing_else_is_a_placeholder(
        tmp_path, root, monkeypatch):
    (tmp_path / "work" / "alice").mkdir(parents=True)
    monkeypatch.setenv("USER", "alice")
    monkeypatch.setenv("SCRATCHENV_PERSISTENT_ROOT", f"{tmp_path}/work/{{user}}")
    settings = load_settings()
    assert str(settings.persistent_root) == f"{tmp_path}/work/alice"
    assert build_plan(settings).persistent_pattern == f"{tmp_path}/work/{{user}}"
    monkeypatch.setenv("SCRATCHENV_PERSISTENT_ROOT", f"{tmp_path}/work/{{user.__class__}}")
    done = cli("env")
    assert done.returncode == 2 and "the only placeholder is {user}" in done.stderr
