"""A new user's first ten minutes, the README's way, on a real unprivileged account.

A stock home from /etc/skel, a checkout the user can read but not write (root owns it),
`pipx install ./scratchenv` with pipx's defaults (~/.local/share/pipx, ~/.local/bin), a
scratch root outside home that the user owns (0700), then `init bash`, `doctor`,
`migrate --apply --yes`, `clean envs --apply --yes`. After all that a NEW login shell must
still have every variable scratchenv manages, `~/.local/bin/scratchenv --version` must run,
and `pipx list` (with the PIPX_HOME the login has) must still show scratchenv: issue 24's
"Done when". Packages come from the index pip is configured with here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from helpers import checkout_copy, unavailable
from helpers.users import ALICE, People

pytestmark = pytest.mark.slow

SKEL = Path("/etc/skel")
PIPX_AND_ITS_DEPENDENCIES = ("pipx", "argcomplete", "click", "filelock", "packaging",
                             "platformdirs", "userpath")


def _pip_index_variables() -> dict[str, str]:
    """pip's configuration here (index, find-links, certificates), as PIP_* variables for a
    user who has no pip.conf of their own: they install from the same index."""
    listed = subprocess.run([sys.executable, "-m", "pip", "config", "list"],
                            capture_output=True, text=True)
    variables = {key: value for key, value in os.environ.items() if key.startswith("PIP_")}
    for line in listed.stdout.splitlines():
        name, _, value = line.partition("=")
        section, _, key = name.partition(".")
        if section in ("global", "install", ":env:") and key:
            variables.setdefault(f"PIP_{key.upper().replace('-', '_')}", value.strip("'\""))
    return variables


def _pipx_library(base: Path) -> Path:
    """pipx from the test extra, as a directory the user can import it from (the test venv's
    interpreter may live under a 0700 home; pipx drops PYTHONPATH for what it runs)."""
    site = Path(sysconfig.get_paths()["purelib"])
    library = base / "pipx-lib"
    library.mkdir()
    for name in PIPX_AND_ITS_DEPENDENCIES:
        if not (site / name).is_dir():
            unavailable(f"{name} is not installed beside pytest; the test extra has pipx")
        (library / name).symlink_to(site / name)
    return library


class NewUser:
    """`who` with a stock home, running commands with nothing of this process's environment."""

    def __init__(self, people: People, who: str, index: dict[str, str]) -> None:
        self.people, self.who, self.index = people, who, index
        self.home = people.home(who)

    def run(self, *argv: str, cwd: Path | None = None, timeout: float = 600,
            **extra: str) -> subprocess.CompletedProcess[str]:
        variables = {"HOME": str(self.home), "USER": self.who, "LOGNAME": self.who,
                     "PATH": "/usr/local/bin:/usr/bin:/bin", "SHELL": "/bin/bash",
                     "LANG": "C.UTF-8", **self.index, **extra}
        return subprocess.run(
            ["runuser", "-u", self.who, "--", "env", "-i", "-C", str(cwd or self.home),
             *(f"{key}={value}" for key, value in variables.items()), *argv],
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def scratchenv(self, *args: str, exits: tuple[int, ...] = (0,),
                   **extra: str) -> subprocess.CompletedProcess[str]:
        done = self.run(str(self.home / ".local" / "bin" / "scratchenv"), *args, **extra)
        assert done.returncode in exits, f"scratchenv {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done


def _stock_home(people: People, who: str) -> None:
    for item in SKEL.iterdir():
        people.write(who, people.home(who) / item.name, item.read_bytes())


def test_a_new_user_installs_it_with_pipx_and_every_new_login_keeps_working(people: People):
    if not SKEL.joinpath(".profile").is_file():
        unavailable("no stock /etc/skel/.profile to give the new user")
    python = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    if not os.access(python, os.X_OK):
        unavailable(f"{python} (a Python every user can run) is not installed")
    _stock_home(people, ALICE)
    people.configure(ALICE)  # root = a 0700 directory of hers outside home
    root = people.root(ALICE)
    source = checkout_copy(people.base / "src" / "scratchenv")  # root's: she only reads it
    user = NewUser(people, ALICE, _pip_index_variables())

    installed = user.run(python, "-m", "pipx", "install", "./scratchenv", cwd=source.parent,
                         PYTHONPATH=str(_pipx_library(people.base)))
    if installed.returncode != 0 and any(
            word in installed.stderr.lower()
            for word in ("network", "connection", "name resolution")):
        unavailable(f"the package index is unreachable: {installed.stderr[-500:]}")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert not (source / "build").exists() and not list(source.glob("*.egg-info"))
    venv = user.home / ".local" / "share" / "pipx" / "venvs" / "scratchenv"
    assert venv.is_dir()

    user.scratchenv("init", "bash")
    doctor = user.scratchenv("doctor", exits=(0, 1))  # 1: migrate has work
    assert f"scratchenv runs from {venv} (never moved or cleaned)" in doctor.stdout
    assert "migrate pipx" not in doctor.stdout, doctor.stdout  # its own install stays
    user.scratchenv("migrate", "--apply", "--yes")
    expendable = root / "venvs" / "old"  # WORKON_HOME's: what `clean envs` is for
    assert user.run(python, "-m", "venv", "--without-pip", str(expendable)).returncode == 0
    user.scratchenv("clean", "envs", "--apply", "--yes")
    assert not expendable.exists()
    assert (venv / "bin" / "scratchenv").is_file(), "its own pipx venv was moved or cleaned"

    expected = json.loads(user.scratchenv("env", "--format", "json").stdout)
    assert expected["HF_HOME"] == f"{root}/cache/huggingface"
    login = user.run("bash", "-l", "-i", "-c", "env -0", PATH="/usr/bin:/bin")
    assert login.returncode == 0, login.stderr
    seen = dict(item.split("=", 1) for item in login.stdout.split("\0") if "=" in item)
    missing = {key: value for key, value in expected.items()
               if key != "PATH" and seen.get(key) != value}
    assert not missing, f"a new login lost {missing}\n{login.stderr}"
    added = [entry for entry in expected["PATH"].split(":") if entry.startswith(f"{root}/")]
    assert added and set(added) <= set(seen["PATH"].split(":")), (added, seen["PATH"])

    version = user.run(str(user.home / ".local" / "bin" / "scratchenv"), "--version")
    assert version.returncode == 0, version.stderr
    assert str(venv) in version.stdout or os.path.realpath(venv) in version.stdout

    pipx_home = {key: seen[key] for key in ("PIPX_HOME", "PIPX_BIN_DIR") if key in seen}
    listed = user.run(python, "-m", "pipx", "list", "--short",
                      PYTHONPATH=str(people.base / "pipx-lib"), **pipx_home)
    assert listed.returncode == 0, listed.stderr
    assert "scratchenv" in listed.stdout.split(), listed.stdout + listed.stderr
