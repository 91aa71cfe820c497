from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers.cli import cli

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


def test_a_config_flag_naming_no_file_is_an_error(root, isolated):
    result = cli("--config", str(isolated / "typo.toml"), "env")
    assert result.returncode == 2
    assert result.stderr == f"scratchenv: error: --config {isolated}/typo.toml: no such file\n"


def test_no_root_anywhere_names_every_place_tried(monkeypatch):
    monkeypatch.setenv("USER", "nobody-here")
    result = cli("env")
    assert result.returncode == 2
    for place in ("SCRATCHENV_ROOT", "/scratch/nobody-here", "/lustre/scratch/nobody-here",
                  "/gpfs/scratch/nobody-here",
                  # what the issue found missing: $SCRATCH, the cluster layout, the profile
                  "$SCRATCH (unset)", "/scratch/<cluster>/users/nobody-here",
                  'profile = "<name>"', "ptolemy"):
        assert place in result.stderr
    assert result.stderr.count("\n") == 1


def test_scratch_variable_is_detected(tmp_path, monkeypatch):
    monkeypatch.setenv("SCRATCH", str(tmp_path / "scratch"))
    result = cli("env", "--format", "json")
    assert result.returncode == 0
    assert f'"HF_HOME": "{tmp_path}/scratch/cache/huggingface"' in result.stdout


def test_env_table_says_why(root):
    result = cli("--project", "nanochat", "env")
    assert result.returncode == 0
    line = next(line for line in result.stdout.splitlines() if line.startswith("HF_HOME "))
    assert f"{root}/cache/huggingface" in line and "huggingface: https://" in line


def test_env_says_where_the_project_came_from(root, isolated, tmp_path):
    # The issue: WHY said (SCRATCHENV_PROJECT) when the project came from the config file.
    config = tmp_path / "config.toml"
    config.write_text('project = "nanochat"\n')
    env = {**os.environ, "SCRATCHENV_CONFIG": str(config)}
    from_file = cli("env", env=env)
    line = next(line for line in from_file.stdout.splitlines()
                if line.startswith("NANOCHAT_BASE_DIR "))
    assert f"project nanochat (config {config})" in line
    assert "SCRATCHENV_PROJECT" not in from_file.stdout
    from_variable = cli("env", env={**env, "SCRATCHENV_PROJECT": "nanochat"})
    assert "project nanochat (environment (SCRATCHENV_*))" in from_variable.stdout
    from_flag = cli("--project", "nanochat", "env", env=env)
    assert "project nanochat (command line)" in from_flag.stdout


def test_dotenv_refusal_is_a_clean_error(tmp_path, monkeypatch):
    odd = tmp_path / "it's `b`"  # a quote and a backtick: neither quoting reads alike
    odd.mkdir()
    monkeypatch.setenv("SCRATCHENV_ROOT", str(odd))
    result = cli("env", "--format", "dotenv")
    assert result.returncode == 2 and "dotenv cannot express" in result.stderr


def _run_with_stdout(stdout, *args: str) -> subprocess.CompletedProcess[str]:
    # The installed script with buffered stdout, as users run it: `python -m` and
    # PYTHONUNBUFFERED hide a failing flush at exit.
    script = os.path.join(os.path.dirname(sys.executable), "scratchenv")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run([script, *args], stdout=stdout, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, text=True, env=env)


@pytest.mark.parametrize("args", [["checkpoints", "dir"], ["env"], ["activate"], ["--help"]])
def test_a_reader_that_left_ends_the_command_quietly(root, args):
    reader, writer = os.pipe()
    os.close(reader)  # `| head -1` that has already gone
    try:
        result = _run_with_stdout(writer, *args)
    finally:
        os.close(writer)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize("args", [["checkpoints", "dir"], ["env", "--format", "dotenv"],
                                  ["activate"]])
def test_a_full_disk_behind_stdout_is_an_error_not_a_silent_short_file(root, args):
    with open("/dev/full", "w") as full:
        result = _run_with_stdout(full, *args)
    assert result.returncode == 2
    assert result.stderr == "scratchenv: error: cannot write to standard output: " \
                            "No space left on device\n"


def test_a_closed_stderr_keeps_the_exit_code(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("")
    result = subprocess.run(
        ["sh", "-c", 'exec "$0" -m scratchenv --root "$1" env 2>&-', sys.executable, afile],
        capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (2, "")


def test_a_closed_stdout_is_refused_before_anything_is_done(root, isolated):
    result = subprocess.run(
        ["sh", "-c", 'exec "$0" -m scratchenv init bash >&-', sys.executable],
        stderr=subprocess.PIPE, text=True)
    assert result.returncode == 2
    assert result.stderr == "scratchenv: error: standard output is closed; redirect it to " \
                            "/dev/null to discard it\n"
    assert not (isolated / ".bashrc").exists()


def test_paths_that_are_not_utf8_print_as_their_bytes_in_a_strict_locale(root, tmp_path):
    home = os.fsencode(tmp_path) + b"/h\xff\xfe"
    os.mkdir(home)
    # A UTF-8 locale (en_US.UTF-8) makes Python's stdout strict.
    env = {**os.environb, b"HOME": home, b"PYTHONIOENCODING": b"utf-8:strict"}
    state = home + b"/.local/state/scratchenv/"
    printed = []
    for _ in ("generated", "fresh"):
        result = subprocess.run([sys.executable, "-m", "scratchenv", "activate", "--shell",
                                 "bash"], env=env, capture_output=True)
        assert (result.returncode, result.stderr) == (0, b"")
        printed.append(result.stdout)
    assert printed[0] == printed[1]
    assert printed[0].startswith(state) and printed[0].endswith(b".bash\n")
    assert os.path.isfile(printed[0].rstrip(b"\n"))


def test_a_login_shell_init_cannot_serve_is_refused_not_given_a_bashrc(root, isolated):
    result = cli("init", env={**os.environ, "SHELL": "/bin/ksh"})
    assert result.returncode == 2
    assert result.stderr == ("scratchenv: error: your shell is ksh ($SHELL); init writes the rc "
                             "file of sh, bash, zsh, fish, tcsh: name one, e.g. "
                             "`scratchenv init bash`\n")
    assert list(isolated.iterdir()) == []
    assert cli("init", "bash", env={**os.environ, "SHELL": "/bin/ksh"}).returncode == 0
    assert "# >>> scratchenv >>>" in (isolated / ".bashrc").read_text()
