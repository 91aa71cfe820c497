from __future__ import annotations

import pytest
from conftest import cli

from scratchenv.main import COMMANDS


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_subcommand_dispatches(command):
    result = cli(command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: scratchenv {command}")


@pytest.mark.parametrize(
    "config",
    ["root = [", "colour = 'blue'", "root = 'rel'", "[vars.A-B]\npath='x'", "disable = ['nope']"],
)
def test_bad_config_exits_2_with_one_line_and_writes_nothing(root, isolated, config, monkeypatch):
    if config.startswith("root"):
        monkeypatch.delenv("SCRATCHENV_ROOT")  # it would win over the config's root
    cfg = isolated / "cfg.toml"
    cfg.write_text(config)
    for args in (["env"], ["activate", "--shell", "bash"], ["env", "--format", "json"]):
        result = cli("--config", str(cfg), *args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("scratchenv: error:")
        assert "Traceback" not in result.stderr
        assert result.stdout == ""
    assert not (isolated / ".local" / "state").exists()


def test_no_root_anywhere_names_every_place_tried(monkeypatch):
    monkeypatch.setenv("USER", "nobody-here")
    result = cli("env")
    assert result.returncode == 2
    for place in ("SCRATCHENV_ROOT", "/scratch/nobody-here", "/lustre/scratch/nobody-here",
                  "/gpfs/scratch/nobody-here"):
        assert place in result.stderr


def test_scratch_variable_is_detected(tmp_path, monkeypatch):
    monkeypatch.setenv("SCRATCH", str(tmp_path))
    result = cli("env", "--format", "json")
    assert result.returncode == 0
    assert f'"HF_HOME": "{tmp_path}/cache/huggingface"' in result.stdout


def test_env_table_says_why(root):
    result = cli("--project", "nanochat", "env")
    assert result.returncode == 0
    line = next(line for line in result.stdout.splitlines() if line.startswith("HF_HOME "))
    assert f"{root}/cache/huggingface" in line and "huggingface: https://" in line


def test_dotenv_refusal_is_a_clean_error(tmp_path, monkeypatch):
    odd = tmp_path / "a`b"
    odd.mkdir()
    monkeypatch.setenv("SCRATCHENV_ROOT", str(odd))
    result = cli("env", "--format", "dotenv")
    assert result.returncode == 2 and "dotenv cannot express" in result.stderr


def test_a_config_flag_naming_no_file_is_refused(root, isolated):
    result = cli("--config", str(isolated / "typo.toml"), "env")
    assert result.returncode == 2
    assert result.stderr == f"scratchenv: error: --config {isolated}/typo.toml: no such file\n"
    assert result.stdout == ""
