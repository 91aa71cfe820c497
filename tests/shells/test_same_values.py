"""Every format gives the process the same values: each real shell sources its file, python-
dotenv reads the dotenv file, and what they end up with is compared with the JSON rendering."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values
from helpers import need

from scratchenv.config.settings import load_settings
from scratchenv.plan import build_plan
from scratchenv.shells import renderer

DUMP = f"{sys.executable} -c 'import json, os; print(json.dumps(dict(os.environ)))'"
SOURCE = {  # shell -> argv that sources $1 and dumps the environment
    "sh": ["sh", "-c", f'. "$1" && {DUMP}', "sh"],
    "bash": ["bash", "-c", f'. "$1" && {DUMP}', "bash"],
    "zsh": ["zsh", "-c", f'. "$1" && {DUMP}', "zsh"],
    "fish": ["fish", "-c", f"source $argv[1]; and {DUMP}"],
    "tcsh": ["tcsh", "-f", "-c", f"source $1:q && {DUMP}"],
}


@pytest.fixture
def expected(root: Path, isolated: Path) -> tuple[dict[str, str], dict[str, str], object]:
    plan = build_plan(load_settings(project="nanochat"))
    environ = {"HOME": str(isolated), "PATH": "/usr/bin:/bin"}
    values = json.loads(renderer("json").render(plan, environ))
    assert values["NANOCHAT_BASE_DIR"] == f"{root}/nanochat-cache"  # the plan, not a blank
    return values, environ, plan


@pytest.mark.parametrize("shell", sorted(SOURCE))
def test_each_shell_ends_up_with_the_json_values(shell, expected, tmp_path):
    values, environ, plan = expected
    need(shell)
    script = tmp_path / f"activate.{shell}"
    script.write_text(renderer(shell).render(plan, environ))
    done = subprocess.run([*SOURCE[shell], str(script)], env=environ, capture_output=True,
                          text=True, timeout=60, check=True)
    seen = json.loads(done.stdout)
    assert {name: seen.get(name) for name in values} == values


def test_dotenv_reads_as_the_json_values(expected, tmp_path, monkeypatch):
    values, environ, plan = expected
    monkeypatch.setenv("PATH", environ["PATH"])  # python-dotenv expands ${PATH} from here
    path = tmp_path / "scratch.env"
    path.write_text(renderer("dotenv").render(plan, environ))
    read = dotenv_values(path)
    assert {name: read.get(name) for name in values} == values


@pytest.mark.parametrize("shell", sorted(SOURCE))
def test_cargo_bin_on_path_follows_a_kept_site_cargo_home(shell, root, isolated, tmp_path,
                                                          monkeypatch):
    need(shell)
    monkeypatch.setenv("SCRATCHENV_KEEP_SITE_VALUES", "true")
    plan = build_plan(load_settings())
    environ = {"HOME": str(isolated), "PATH": "/usr/bin:/bin", "CARGO_HOME": "/opt/site cargo"}
    values = json.loads(renderer("json").render(plan, environ))
    entries = values["PATH"].split(":")
    assert "/opt/site cargo/bin" in entries and f"{root}/.cargo/bin" not in entries
    script = tmp_path / f"activate.{shell}"
    script.write_text(renderer(shell).render(plan, environ))
    done = subprocess.run([*SOURCE[shell], str(script)], env=environ, capture_output=True,
                          text=True, timeout=60, check=True)
    seen = json.loads(done.stdout)
    assert seen["CARGO_HOME"] == "/opt/site cargo"
    assert seen["PATH"] == values["PATH"]


HARD_ROOTS = ['with "double" quotes', "with $(command) and `backticks`", "with $NAME in it",
              "it's a quote", "back\\slash"]


@pytest.mark.parametrize("name", HARD_ROOTS)
def test_dotenv_and_sh_read_identical_values_for_a_hard_root(name, tmp_path, monkeypatch):
    need("sh")
    root = tmp_path / name
    root.mkdir()
    monkeypatch.setenv("SCRATCHENV_ROOT", str(root))
    monkeypatch.setenv("SCRATCHENV_CONFIG", str(tmp_path / "none.toml"))
    plan = build_plan(load_settings())
    environ = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    path = tmp_path / "scratch.env"
    path.write_text(renderer("dotenv").render(plan, environ))
    monkeypatch.setenv("PATH", environ["PATH"])
    read = dotenv_values(path)
    done = subprocess.run(["sh", "-c", f'set -a; . "$1"; set +a; {DUMP}', "sh", str(path)],
                          env=environ, capture_output=True, text=True, timeout=60, check=True)
    seen = json.loads(done.stdout)
    assert read and {k: seen.get(k) for k in read} == read
    assert read["HF_HOME"] == f"{root}/cache/huggingface"


@pytest.mark.parametrize("name", [b"carriage\rreturn", b"not utf-8 \xff"])
def test_dotenv_refuses_a_root_its_readers_would_read_differently(name, tmp_path):
    root = os.fsencode(str(tmp_path)) + b"/" + name
    os.mkdir(root)
    env = {**os.environ, "SCRATCHENV_ROOT": os.fsdecode(root), "HOME": str(tmp_path / "home"),
           "SCRATCHENV_CONFIG": str(tmp_path / "none.toml")}
    done = subprocess.run([sys.executable, "-m", "scratchenv", "env", "--format", "dotenv"],
                          env=env, capture_output=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith(b"scratchenv: error: dotenv cannot express")
    assert done.stderr.count(b"\n") == 1 and done.stdout == b""
