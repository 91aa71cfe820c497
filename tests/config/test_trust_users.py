"""Another user tries to make scratchenv work against alice: as two real users (helpers/users.py).

Each test is a case from an attack on scratchenv that held no more: what mallory can write
(a .env.local in a shared directory, a config file alice's config leads to, the place
alice's root is to be made) never changes what alice's shells run or where her files go.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from helpers.users import ALICE, MALLORY, People

pytestmark = pytest.mark.slow  # real users, real logins: seconds each


def test_a_dotenv_of_mallory_runs_nothing_as_alice(people: People) -> None:
    """The reported attack: BASH_ENV through SCRATCHENV_VARS with a `..` path, from a
    .env.local in a 1777 directory; alice opens an interactive bash there."""
    atk = people.mkdir(MALLORY, people.shared / "atk", mode=0o1777)
    proj = people.mkdir(MALLORY, people.shared / "proj", mode=0o1777)
    people.write(MALLORY, atk / "evil.sh", f'echo pwned > "{atk}/ran-as-$(id -un)"\n', 0o755)
    climb = "../" * 12 + str(atk / "evil.sh").lstrip("/")
    entry = {"BASH_ENV": {"path": climb, "kind": "file"}}
    people.write(MALLORY, proj / ".env.local",
                 f"SCRATCHENV_VARS={json.dumps(entry, separators=(',', ':'))}\n")
    people.configure(ALICE)
    init = people.scratchenv(ALICE, "init", "bash")
    assert init.returncode == 0, init.stderr

    shell = people.run(ALICE, "bash", "-i", "-c", "bash -c true", cwd=proj)
    assert shell.returncode == 0, shell.stderr
    assert sorted(p.name for p in atk.iterdir()) == ["evil.sh"]  # nothing ran

    verify = people.run(ALICE, "bash", "-i", "-c", f"{people.python} -m scratchenv verify",
                        cwd=proj)
    assert verify.returncode == 1, verify.stdout
    assert "scratchenv verify: ok" not in verify.stdout
    assert f"✗ {proj}/.env.local: ignored: it is in {proj}, which belongs to {MALLORY}" \
        in verify.stdout
    assert sorted(p.name for p in atk.iterdir()) == ["evil.sh"]


def test_alice_own_dotenv_in_a_shared_directory_is_never_read(people: People) -> None:
    """Even allowed, a .env.local in a directory others can write could be swapped."""
    people.configure(ALICE)
    proj = people.mkdir(MALLORY, people.shared / "proj", mode=0o777)
    people.write(ALICE, proj / ".env.local", "SCRATCHENV_PROJECT=fromdotenv\n")
    allowed = people.scratchenv(ALICE, "allow", cwd=proj)
    assert allowed.returncode == 2
    assert allowed.stderr.strip().endswith(f"which belongs to {MALLORY} (uid "
                                           f"{os.stat(proj).st_uid})")
    env = people.scratchenv(ALICE, "env", "--format", "json", cwd=proj)
    assert env.returncode == 0 and "fromdotenv" not in env.stdout


def test_a_config_leading_to_mallorys_file_is_refused(people: People) -> None:
    mallorys = people.write(MALLORY, people.home(MALLORY) / "public" / "config.toml",
                            f'root = "{people.root(ALICE)}"\n[vars.HF_HOME]\npath = "x"\n')
    os.chmod(mallorys.parent.parent, 0o755)
    people.configure(ALICE)
    config = people.home(ALICE) / ".config" / "scratchenv" / "config.toml"
    config.unlink()
    config.symlink_to(mallorys)
    result = people.scratchenv(ALICE, "env")
    assert result.returncode == 2
    assert result.stderr == (f"scratchenv: error: config {config} refused: it is in "
                             f"{mallorys.parent}, which belongs to {MALLORY} "
                             f"(uid {os.stat(mallorys).st_uid})\n")
    # Her own directory that leads to mallory's file: the file's owner decides.
    os.chown(mallorys.parent, *_ids(ALICE))
    result = people.scratchenv(ALICE, "env")
    assert result.returncode == 2
    assert result.stderr.endswith(f"it belongs to {MALLORY} (uid {os.stat(mallorys).st_uid}), "
                                  "neither you nor root\n")


def test_a_config_others_can_write_is_refused(people: People) -> None:
    config = people.configure(ALICE)
    os.chmod(config, 0o666)
    result = people.scratchenv(ALICE, "env")
    assert result.returncode == 2
    assert result.stderr == (f"scratchenv: error: config {config} refused: others can write "
                             f"it (mode 0666; chmod go-w {config})\n")


def test_a_root_to_be_made_in_a_shared_directory_is_refused(people: People) -> None:
    """mallory could make it first (or a symlink of that name) and get alice's caches."""
    people.configure(ALICE)
    for root in (people.shared / "alice-scratch", people.shared / "made" / "scratch"):
        result = people.scratchenv(ALICE, "env", SCRATCHENV_ROOT=str(root))
        assert result.returncode == 2, result.stdout
        assert len(result.stderr.splitlines()) == 1
        assert f"{people.shared} on the way is writable by others" in result.stderr
    # A directory of hers with mode 0700 on the way is safe, in the same shared place.
    private = people.mkdir(ALICE, people.shared / "alice-private", mode=0o700)
    result = people.scratchenv(ALICE, "env", SCRATCHENV_ROOT=str(private / "scratch"))
    assert result.returncode == 0, result.stderr
    # One she made but left open (0755) is not: under it anyone can take a place.
    os.chmod(private, 0o777)
    result = people.scratchenv(ALICE, "env", SCRATCHENV_ROOT=str(private / "scratch"))
    assert result.returncode == 2
    assert f"{private} on the way is writable by others" in result.stderr


def test_files_mallory_controls_never_block_a_login(people: People) -> None:
    """A FIFO and /dev/zero as .env.local, and a FIFO, /dev/zero or 2 MB as alice's config."""
    people.configure(ALICE)
    fifo_dir = people.mkdir(MALLORY, people.shared / "fifo", mode=0o1777)
    os.mkfifo(fifo_dir / ".env.local")
    os.chown(fifo_dir / ".env.local", *_ids(MALLORY))
    zero_dir = people.mkdir(MALLORY, people.shared / "zero", mode=0o1777)
    (zero_dir / ".env.local").symlink_to("/dev/zero")
    for place in (fifo_dir, zero_dir):
        started = time.monotonic()
        result = people.scratchenv(ALICE, "activate", "--shell", "bash", cwd=place, timeout=60)
        assert result.returncode == 0, result.stderr
        assert time.monotonic() - started < 50

    config = people.home(ALICE) / ".config" / "scratchenv" / "config.toml"
    for make, reason in ((lambda: os.mkfifo(config), "it is not a regular file"),
                         (lambda: config.symlink_to("/dev/zero"), "it is not a regular file"),
                         (lambda: config.write_bytes(b"#" * (2 * 1024 * 1024)),
                          "it is larger than 1 MB")):
        config.unlink()
        make()
        if not config.is_symlink():
            os.chown(config, *_ids(ALICE))
        result = people.scratchenv(ALICE, "activate", "--shell", "bash", timeout=60)
        # A broken config keeps the last good activation file (with a word); never a hang.
        assert reason in result.stderr, result.stderr
        assert len(result.stderr.splitlines()) == 1


def _ids(who: str) -> tuple[int, int]:
    from helpers.users import uid_of

    return uid_of(who)


def test_allow_deny_revoke_as_alice(people: People) -> None:
    people.configure(ALICE)
    proj = people.mkdir(ALICE, people.home(ALICE) / "proj")
    people.write(ALICE, proj / ".env.local", "SCRATCHENV_PROJECT=fromdotenv\n")

    def project() -> str:
        result = people.scratchenv(ALICE, "env", "--format", "json", cwd=proj)
        assert result.returncode == 0, result.stderr
        return "fromdotenv" if "fromdotenv" in result.stdout else "none"

    assert project() == "none"
    assert people.scratchenv(ALICE, "allow", cwd=proj).returncode == 0
    assert project() == "fromdotenv"
    (proj / ".env.local").write_text("SCRATCHENV_PROJECT=changed\n")
    assert project() == "none"  # a change needs a new allow
    assert people.scratchenv(ALICE, "allow", str(proj)).returncode == 0
    assert "changed" in people.scratchenv(ALICE, "env", cwd=proj).stdout
    assert people.scratchenv(ALICE, "deny", cwd=proj).returncode == 0
    verify = people.scratchenv(ALICE, "verify", cwd=proj)
    assert ".env.local" not in verify.stdout  # denied: not read, not mentioned
    revoked = people.scratchenv(ALICE, "revoke", cwd=proj)
    assert revoked.stdout == f"revoked {proj}/.env.local\n"
    verify = people.scratchenv(ALICE, "verify", cwd=proj)
    assert f"! {proj}/.env.local: ignored: not allowed" in verify.stdout
    allow_list = Path(people.home(ALICE), ".local", "state", "scratchenv", "allowed")
    assert oct(allow_list.stat().st_mode & 0o777) == "0o600"
