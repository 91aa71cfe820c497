"""`env --format X` answers kept for the same inputs (login/cache.py): a hit prints what the
validated path printed, without importing pydantic; any changed input is a miss."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import cli

from scratchenv.config import centres
from scratchenv.login import cache
from scratchenv.main import main
from scratchenv.shells.registry import NAMES


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root: Path) -> Path:
    """A state directory that stays put when HOME changes (so a miss is the key's doing)."""
    path = tmp_path / "state"
    monkeypatch.setenv("SCRATCHENV_STATE_DIR", str(path))
    return path


def env(capsys: pytest.CaptureFixture[str], fmt: str = "sh") -> tuple[int, str, str]:
    code = main(["env", "--format", fmt])
    out, err = capsys.readouterr()
    return code, out, err


def cached(fmt: str = "sh") -> cache.Answer | None:
    return cache.lookup(f"env-{fmt}", os.environ, os.getcwd())


def slow_path_not_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    from scratchenv.commands import env as command

    def refuse(args: object) -> int:
        raise AssertionError("the validated path ran: the cache missed")

    monkeypatch.setattr(command, "_print_format", refuse)


@pytest.mark.parametrize("fmt", [name for name in NAMES])
def test_a_hit_prints_exactly_what_the_validated_path_printed(fmt, state, capsys, monkeypatch):
    first = env(capsys, fmt)
    assert first[0] == 0 and first[1]
    slow_path_not_taken(monkeypatch)
    assert env(capsys, fmt) == first


def test_a_modulefile_warning_is_said_again_on_a_hit(state, capsys, monkeypatch):
    code, out, err = env(capsys, "lmod")
    assert "no root pattern" in err
    slow_path_not_taken(monkeypatch)
    assert env(capsys, "lmod") == (code, out, err)


def test_the_cache_file_is_private(state, capsys):
    env(capsys)
    [path] = (state / "cache").iterdir()
    assert path.stat().st_mode & 0o777 == 0o600
    assert (state / "cache").stat().st_mode & 0o777 == 0o700


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)


def _new_dir(path: Path) -> None:
    path.mkdir(parents=True, mode=0o700)


# Each input the answer depends on, changed: the next lookup must miss.
CHANGES: dict[str, Callable[[pytest.MonkeyPatch, Path], object]] = {
    "a SCRATCHENV_* variable": lambda mp, t: mp.setenv("SCRATCHENV_PROJECT", "nanochat"),
    "a lower-case settings variable": lambda mp, t: mp.setenv("scratchenv_project", "x"),
    "HOME": lambda mp, t: (_new_dir(t / "home2"), mp.setenv("HOME", str(t / "home2"))),
    "USER": lambda mp, t: mp.setenv("USER", "someone"),
    "LOGNAME": lambda mp, t: mp.setenv("LOGNAME", "someone"),
    "USERNAME (getpass's fallback)": lambda mp, t: mp.setenv("USERNAME", "someone"),
    "SCRATCH": lambda mp, t: mp.setenv("SCRATCH", str(t)),
    "XDG_CONFIG_HOME": lambda mp, t: mp.setenv("XDG_CONFIG_HOME", str(t / "xdg")),
    "a centre's variable": lambda mp, t: mp.setenv("PSCRATCH", str(t)),
    "a profile's variable": lambda mp, t: mp.setenv("WORK", str(t)),
    "the config file appears": lambda mp, t: _write(
        t / "home" / ".config" / "scratchenv" / "config.toml", 'project = "abc"\n'),
    "the site config appears": lambda mp, t: (
        mp.setenv("SCRATCHENV_SITE_CONFIG", str(t / "site.toml")) and None,
        _write(t / "site.toml", "keep_site_values = true\n")),
    ".env.local appears": lambda mp, t: _write(Path.cwd() / ".env.local",
                                               "SCRATCHENV_PROJECT=x\n"),
    "the version": lambda mp, t: mp.setattr("scratchenv.login.activate.__version__", "9"),
    # Another venv is another interpreter path (sys.prefix is site's: not set under -S).
    "the interpreter's venv": lambda mp, t: mp.setattr(sys, "executable", f"{t}/bin/python"),
    "scratchenv's own files": lambda mp, t: os.utime(
        Path(cache._package(), "plan.py"), ns=(1, 1)),  # a copy: see `package` below
    "the root replaced": lambda mp, t: (shutil.rmtree(t / "scratch"),
                                        _new_dir(t / "scratch")),
    "the root removed": lambda mp, t: shutil.rmtree(t / "scratch"),
    "the root's mode": lambda mp, t: (t / "scratch").chmod(0o775),
    "a directory above the root": lambda mp, t: t.chmod(0o777),
    "a guessed root appears": lambda mp, t: _new_dir(
        Path(centres.SEARCH_ROOT, "scratch", os.environ.get("USER") or "root")),
    "a centre's path shape matches": lambda mp, t: _new_dir(
        Path(centres.SEARCH_ROOT, "scratch", "gpfs", os.environ.get("USER") or "root")),
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_changed_input_is_a_miss(change, state, capsys, monkeypatch, tmp_path):
    # scratchenv's own files as a copy, so that touching one leaves the checkout alone.
    package = tmp_path / "package"
    shutil.copytree(cache._package(), package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "_package", lambda: str(package))
    before = tmp_path.stat().st_mode
    try:
        assert env(capsys)[0] == 0
        assert cached() is not None
        CHANGES[change](monkeypatch, tmp_path)
        assert cached() is None
    finally:
        tmp_path.chmod(before)


def test_a_config_edit_of_the_same_size_is_a_miss_and_an_error_is_still_said(state, capsys,
                                                                            isolated):
    config = isolated / ".config" / "scratchenv" / "config.toml"
    _write(config, 'project = "aaa"\n')
    assert env(capsys)[0] == 0
    _write(config, 'project = "a a"\n')  # same size, now invalid
    assert cached() is None
    code, out, err = env(capsys)
    assert (code, out) == (2, "")
    assert "not a project name" in err


def test_a_variable_the_rendering_read_is_an_input(state, capsys, monkeypatch):
    assert env(capsys, "json")[0] == 0
    monkeypatch.setenv("TMPDIR", "/elsewhere")  # json reads the whole environment
    assert cached("json") is None


def test_a_variable_nothing_read_still_hits(state, capsys, monkeypatch):
    assert env(capsys, "sh")[0] == 0
    monkeypatch.setenv("OLDPWD", "/elsewhere")  # a static shell file reads no variable
    assert cached("sh") is not None


@pytest.mark.parametrize("spoil", ["group-readable", "another user's", "open state dir"])
def test_a_cache_file_not_the_users_alone_is_not_trusted(spoil, state, capsys, monkeypatch):
    env(capsys)
    [path] = (state / "cache").iterdir()
    if spoil == "group-readable":
        path.chmod(0o640)
    elif spoil == "another user's":
        if os.geteuid() != 0:
            pytest.skip("chown needs root")
        os.chown(path, 65534, -1)
    else:
        state.chmod(0o777)
    assert cached() is None
    state.chmod(0o700)
    assert env(capsys)[0] == 0  # the validated path answers, and keeps a private file again
    assert path.stat().st_uid == os.getuid()
    assert path.stat().st_mode & 0o777 == 0o600


def test_global_flags_are_not_cached(state, capsys, tmp_path):
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    assert main(["--root", str(other), "env", "--format", "sh"]) == 0
    assert str(other) in capsys.readouterr().out
    assert cached() is None


def test_a_hit_imports_neither_pydantic_nor_argparse(state):
    assert cli("env", "--format", "sh").returncode == 0
    code = ("import sys; from scratchenv.main import main; code = main(['env', '--format', "
            "'sh']); heavy = [m for m in ('pydantic', 'pydantic_settings', 'argparse', "
            "'plumbum', 'typing', 're') if m in sys.modules]; print(code, heavy, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stderr.splitlines()[-1] == "0 []", result.stderr
    assert "export" in result.stdout
