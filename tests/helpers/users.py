"""The `people` fixture: two real, unprivileged users (alice, the victim, and mallory, who
shares a directory with her) running the real scratchenv; conftest registers the fixture.

Root bypasses every permission check, so the trust tests must not run as root: they run as
these users, created here with `useradd` (idempotently), through `runuser`. Their homes and
a shared 1777 directory live under a fresh directory in /tmp (pytest's tmp_path sits under
a 0700 directory they cannot enter). Needs root to create them: skipped locally without it,
a failure in CI.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import CHECKOUT, need, need_root, unavailable

ALICE = "scratchenv-alice"
MALLORY = "scratchenv-mallory"
SOURCE = CHECKOUT
"""The checkout whose scratchenv the users run (the tests' own)."""


@contextlib.contextmanager
def _accounts_locked() -> Iterator[None]:
    """One writer of /etc/passwd and /etc/group at a time: parallel test workers (xdist) make
    the same users, and useradd/usermod fail when another holds the lock."""
    with open("/tmp/scratchenv-tests-accounts.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure_user(name: str) -> None:
    with _accounts_locked():
        _ensure_user(name)


def _ensure_user(name: str) -> None:
    if subprocess.run(["id", "-u", name], capture_output=True).returncode == 0:
        return
    made = subprocess.run([need("useradd"), "--no-create-home", "--user-group",
                           "--shell", "/bin/bash", name], capture_output=True, text=True)
    # Exit 9: another test run made it first.
    if made.returncode not in (0, 9):
        unavailable(f"cannot create the user {name}: {made.stderr.strip()}")


LAB = "scratchenv-lab"
"""A group alice and mallory share (a lab's primary group, with umask 002)."""


def ensure_lab_group() -> str:
    """The shared group, made (idempotently) with both users in it."""
    with _accounts_locked():
        return _ensure_lab_group()


def _ensure_lab_group() -> str:
    if subprocess.run(["getent", "group", LAB], capture_output=True).returncode != 0:
        made = subprocess.run([need("groupadd"), LAB], capture_output=True, text=True)
        if made.returncode not in (0, 9):
            unavailable(f"cannot create the group {LAB}: {made.stderr.strip()}")
    for name in (ALICE, MALLORY):
        subprocess.run([need("usermod"), "-a", "-G", LAB, name], capture_output=True,
                       check=True)
    return LAB


def uid_of(name: str) -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


@dataclass
class People:
    base: Path
    shared: Path
    python: str
    pythonpath: str

    def home(self, who: str) -> Path:
        return self.base / f"home-{who}"

    def root(self, who: str) -> Path:
        """The user's scratch root, in a 0700 directory of theirs (so no one can swap it)."""
        return self.base / f"private-{who}" / "scratch"

    def env(self, who: str, **extra: str) -> dict[str, str]:
        return {"HOME": str(self.home(who)), "USER": who, "LOGNAME": who,
                "PATH": "/usr/local/bin:/usr/bin:/bin", "SHELL": "/bin/bash",
                "LANG": "C.UTF-8", "PYTHONPATH": self.pythonpath, **extra}

    def run(self, who: str, *argv: str, cwd: Path | None = None, timeout: float = 120,
            group: str | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
        """`argv` as `who` (with `group` as primary group), with nothing of this process's
        environment but `extra`."""
        variables = [f"{key}={value}" for key, value in self.env(who, **extra).items()]
        where = str(cwd or self.home(who))
        as_group = ["-g", group] if group else []
        return subprocess.run(
            ["runuser", "-u", who, *as_group, "--", "env", "-i", "-C", where, *variables, *argv],
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        )

    def scratchenv(self, who: str, *args: str, cwd: Path | None = None, timeout: float = 120,
                   **extra: str) -> subprocess.CompletedProcess[str]:
        return self.run(who, self.python, "-m", "scratchenv", *args, cwd=cwd, timeout=timeout,
                        **extra)

    def mkdir(self, who: str, path: Path, mode: int = 0o755) -> Path:
        """`path` and missing parents (under base), owned by `who`."""
        uid, gid = uid_of(who)
        missing = []
        current = path
        while not current.exists():
            missing.append(current)
            current = current.parent
        for directory in reversed(missing):
            directory.mkdir()
            os.chown(directory, uid, gid)
            os.chmod(directory, mode)
        return path

    def write(self, who: str, path: Path, text: str | bytes, mode: int = 0o644) -> Path:
        """A file `who` wrote (its directories are made as theirs)."""
        self.mkdir(who, path.parent)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        uid, gid = uid_of(who)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
        return path

    def configure(self, who: str, text: str = "") -> Path:
        """The user's config: their root (made, 0700), plus `text`."""
        root = self.root(who)
        self.mkdir(who, root.parent, mode=0o700)
        self.mkdir(who, root, mode=0o700)
        return self.write(who, self.home(who) / ".config" / "scratchenv" / "config.toml",
                          f'root = "{root}"\n{text}')


@functools.cache
def _python_for(who: str, pythonpath: str) -> str:
    """An interpreter `who` may run that imports this checkout with its dependencies (the
    venv's own may live under a 0700 home, like /root/.pyenv)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (sys.executable, os.path.realpath(sys.executable), f"/usr/bin/{version}"):
        probe = subprocess.run(
            ["runuser", "-u", who, "--", "env", "-i", f"PYTHONPATH={pythonpath}", candidate,
             "-c", "import scratchenv, pydantic_settings, plumbum"],
            capture_output=True, text=True,
        )
        if probe.returncode == 0:
            return candidate
    unavailable(f"no Python that {who} can run imports scratchenv from {SOURCE}")


@pytest.fixture(name="people")
def people_fixture() -> Iterator[People]:
    need_root("to make two unprivileged users (the trust tests run as them)")
    need("runuser")
    for name in (ALICE, MALLORY):
        ensure_user(name)
    base = Path(tempfile.mkdtemp(prefix="scratchenv-trust-", dir="/tmp"))
    try:
        os.chmod(base, 0o755)
        pythonpath = f"{SOURCE}:{sysconfig.get_paths()['purelib']}"
        people = People(base, base / "shared", _python_for(ALICE, pythonpath), pythonpath)
        people.shared.mkdir()
        os.chmod(people.shared, 0o1777)
        for name in (ALICE, MALLORY):
            people.mkdir(name, people.home(name), mode=0o700)
        yield people
    finally:
        shutil.rmtree(base, ignore_errors=True)
