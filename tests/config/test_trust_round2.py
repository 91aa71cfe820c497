"""Trust, round two (issue 22): as two real users (helpers/users.py) who share a lab group.

What scratchenv writes and later sources or trusts, roots reached through another user's
symlink, names that hold code, probes run from where the user stands, what it prints, and
the placeholders of its templates.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from helpers.users import (
    ALICE,
    MALLORY,
    People,
    ensure_lab_group,
    uid_of,
)

pytestmark = pytest.mark.slow  # real users, real logins: seconds each


def _umask002(*argv: str) -> tuple[str, ...]:
    """`argv` run under umask 002 (a lab's shared-group habit)."""
    return ("sh", "-c", 'umask 002 && exec "$@"', "sh", *argv)


def test_state_files_are_private_whatever_the_umask(people: People) -> None:
    """The reported attack: umask 002 and a shared primary group made the state directory
    0775; mallory replaced activate.bash with her script and alice's next login ran it."""
    lab = ensure_lab_group()
    people.configure(ALICE)
    init = people.run(ALICE, *_umask002(people.python, "-m", "scratchenv", "init", "bash"),
                      group=lab)
    assert init.returncode == 0, init.stderr
    login = people.run(ALICE, *_umask002("bash", "-i", "-c", "true"), group=lab)
    assert login.returncode == 0, login.stderr
    state = people.home(ALICE) / ".local" / "state" / "scratchenv"
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for parent in (state.parent, state.parent.parent):
        assert not parent.stat().st_mode & 0o022, parent
    written = [p for p in state.iterdir() if not p.is_symlink()]
    assert written and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in written)

    # An older version (or a chmod) left it open to the group: mallory swaps the file.
    _open_to_the_lab(people, state, lab)
    evil = people.write(MALLORY, people.shared / "evil.bash",
                        f'echo pwned > "{people.shared}/ran-as-$(id -un)"\n')
    swap = people.run(MALLORY, "sh", "-c",
                      f'cp "{evil}" "{state}/x" && mv -f "{state}/x" "{state}/activate.bash"',
                      group=lab)
    assert swap.returncode == 0, swap.stderr
    login = people.run(ALICE, "bash", "-i", "-c", 'echo "root=$HF_HOME"', group=lab)
    assert login.returncode == 0, login.stderr
    assert not (people.shared / f"ran-as-{ALICE}").exists()
    assert str(people.root(ALICE)) in login.stdout  # activated from a file of her own
    assert stat.S_IMODE(state.stat().st_mode) == 0o700  # closed again
    assert (state / "activate.bash").resolve().stat().st_uid == uid_of(ALICE)[0]


@pytest.mark.parametrize("shell", ["zsh", "fish", "tcsh", "sh"])
def test_no_shell_sources_another_users_activation_file(people: People, shell: str) -> None:
    """The same swap, in every login shell's rc block: checked with builtins alone."""
    from helpers import need

    lab = ensure_lab_group()
    need(shell)
    people.configure(ALICE)
    init = people.scratchenv(ALICE, "init", shell, group=lab)
    assert init.returncode == 0, init.stderr
    state = people.home(ALICE) / ".local" / "state" / "scratchenv"
    made = people.scratchenv(ALICE, "activate", "--shell", shell, group=lab)
    assert made.returncode == 0, made.stderr
    _open_to_the_lab(people, state, lab)
    payload = {"fish": "echo pwned > {out}\n", "tcsh": "echo pwned > {out}\n"}.get(
        shell, "echo pwned > {out}\n")
    out = people.shared / f"ran-{shell}"
    people.write(MALLORY, people.shared / f"evil.{shell}", payload.format(out=out))
    swap = people.run(MALLORY, "sh", "-c",
                      f'cp "{people.shared}/evil.{shell}" "{state}/x" && '
                      f'mv -f "{state}/x" "{state}/activate.{shell}"', group=lab)
    assert swap.returncode == 0, swap.stderr
    argv = {"sh": ("sh", "-c", f'. "{people.home(ALICE)}/.profile"; true'),
            "zsh": ("zsh", "-c", "true"), "fish": ("fish", "-c", "true"),
            "tcsh": ("tcsh", "-c", "true")}[shell]
    login = people.run(ALICE, *argv, group=lab, SHELL=f"/bin/{shell}")
    assert login.returncode == 0, login.stderr
    assert not out.exists(), f"{shell} sourced mallory's file"


def test_records_and_journals_of_others_say_nothing(people: People, tmp_path: Path) -> None:
    """A journal or a `.scratchenv-worktree` record that another user wrote (or can write)
    is not read: as if it were not there."""
    from scratchenv.config.trust import read_written

    record = tmp_path / ".scratchenv-worktree"
    record.write_text('{"worktree": "/x"}')
    os.chmod(record, 0o600)
    assert read_written(record) == b'{"worktree": "/x"}'
    os.chmod(record, 0o660)
    assert read_written(record) is None
    os.chmod(record, 0o600)
    os.chown(record, *uid_of(MALLORY))
    assert read_written(record) is None
    os.chown(record, 0, 0)
    os.link(record, tmp_path / "second-name")
    assert read_written(record) is None


def _open_to_the_lab(people: People, state: Path, lab: str) -> None:
    """Home and the way to the state directory as a umask-002 lab account has them."""
    for directory in (people.home(ALICE), state.parent.parent, state.parent):
        os.chmod(directory, 0o755)
    os.chown(state, uid_of(ALICE)[0], _gid(lab))
    os.chmod(state, 0o2775)


def _gid(group: str) -> int:
    import grp

    return grp.getgrnam(group).gr_gid


def _lab_directory(people: People) -> Path:
    """A lab's shared directory: group-writable, setgid (2770), the lab group's."""
    lab = ensure_lab_group()
    directory = people.mkdir(MALLORY, people.base / "lab", mode=0o2770)
    os.chown(directory, uid_of(MALLORY)[0], _gid(lab))
    os.chmod(directory, 0o2770)
    return directory


def test_a_root_through_mallorys_symlink_is_refused(people: People) -> None:
    """The reported case: in a 2770 lab directory, mallory's symlink to alice's own 0700
    directory; once repointed, alice's next login wrote her data into mallory's."""
    lab = _lab_directory(people)
    people.configure(ALICE)
    link = lab / "alice-scratch"
    link.symlink_to(people.root(ALICE))
    os.lchown(link, *uid_of(MALLORY))
    config = people.home(ALICE) / ".config" / "scratchenv" / "config.toml"
    config.write_text(f'root = "{link}"\n')
    result = people.scratchenv(ALICE, "env", group="scratchenv-lab")
    assert result.returncode == 2, result.stdout
    assert result.stderr == (f"scratchenv: error: scratch root unusable: {link}: it is reached "
                             f"through the symlink {link}, which others could repoint ({lab} "
                             "is writable by others); use the real path\n")
    # Her own symlink in her own private directory is fine.
    mine = people.root(ALICE).parent / "link"
    mine.symlink_to(people.root(ALICE))
    os.lchown(mine, *uid_of(ALICE))
    config.write_text(f'root = "{mine}"\n')
    result = people.scratchenv(ALICE, "env", group="scratchenv-lab")
    assert result.returncode == 0, result.stderr


def test_a_config_through_mallorys_symlink_is_refused(people: People) -> None:
    lab = _lab_directory(people)
    config = people.configure(ALICE)
    link = lab / "alice-config"
    link.symlink_to(config.parent)
    os.lchown(link, *uid_of(MALLORY))
    result = people.scratchenv(ALICE, "env", group="scratchenv-lab",
                               SCRATCHENV_CONFIG=str(link / "config.toml"))
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith(f"scratchenv: error: config {link}/config.toml refused: it "
                                     f"is reached through the symlink {link}")


def test_an_allowed_dotenv_cannot_move_trust_stores_or_toolchains(people: People) -> None:
    """The reported case: alice read and allowed a cloned repository's .env.local; it set
    SSL_CERT_DIR (Python's CA directory changed), JUPYTER_CONFIG_DIR, an EGL vendor list,
    NVM_DIR and CUDA_HOME into the clone. Refused: one line, exit 2, nothing exported."""
    people.configure(ALICE)
    clone = people.mkdir(ALICE, people.root(ALICE) / "clone", mode=0o700)
    names = ["SSL_CERT_DIR", "JUPYTER_CONFIG_DIR", "__EGL_VENDOR_LIBRARY_DIRS", "NVM_DIR",
             "CUDA_HOME"]
    for name in names:
        entry = json.dumps({name: {"path": "clone/certs"}}, separators=(",", ":"))
        people.write(ALICE, clone / ".env.local", f"SCRATCHENV_VARS={entry}\n", 0o600)
        allowed = people.scratchenv(ALICE, "allow", cwd=clone)
        assert allowed.returncode == 0, allowed.stderr
        env = people.scratchenv(ALICE, "env", "--format", "json", cwd=clone)
        assert env.returncode == 2, (name, env.stdout)
        assert env.stderr.startswith(f"scratchenv: error: invalid setting vars: '{name}' "
                                     "cannot be an entry of your own"), env.stderr
        assert len(env.stderr.splitlines()) == 1
    # A location of the user's own still works.
    entry = json.dumps({"MY_DATASETS_DIR": {"path": "clone/data"}}, separators=(",", ":"))
    people.write(ALICE, clone / ".env.local", f"SCRATCHENV_VARS={entry}\n", 0o600)
    assert people.scratchenv(ALICE, "allow", cwd=clone).returncode == 0
    env = people.scratchenv(ALICE, "env", "--format", "json", cwd=clone)
    assert env.returncode == 0, env.stderr
    assert json.loads(env.stdout)["MY_DATASETS_DIR"] == str(people.root(ALICE) / "clone/data")


def _trap(people: People, directory: Path, module: str) -> Path:
    """Mallory's module named `module` in `directory`: importing it leaves a mark."""
    mark = people.shared / f"imported-{module.replace('/', '_')}"
    people.write(MALLORY, directory / f"{module}.py",
                 f"import os\nopen({str(mark)!r} + '-' + str(os.getuid()), 'w').close()\n")
    return mark


def test_verify_deep_runs_nothing_from_the_working_directory(people: People) -> None:
    """The reported case: `verify --deep` ran `python -c` in the working directory, so
    mallory's json.py there ran as alice."""
    people.configure(ALICE)
    proj = people.mkdir(MALLORY, people.shared / "proj", mode=0o1777)
    mark = _trap(people, proj, "json")
    _trap(people, proj, "sys")
    # -P: alice's own start of scratchenv imports nothing from there (the login's does
    # the same, next test); what scratchenv then starts is the question.
    verify = people.run(ALICE, people.python, "-P", "-m", "scratchenv", "verify", "--deep",
                        cwd=proj)
    assert "pip: pip cache: " in verify.stdout, verify.stdout + verify.stderr  # probes ran
    assert not list(people.shared.glob(f"{mark.name}*")), "mallory's json.py ran as alice"


def test_the_login_runs_no_scratchenv_package_from_the_working_directory(
        people: People) -> None:
    """The rc block's `python -m scratchenv` at login, in mallory's directory holding a
    `scratchenv` package: -P, nothing is imported from the working directory."""
    people.configure(ALICE)
    init = people.scratchenv(ALICE, "init", "bash")
    assert init.returncode == 0, init.stderr
    proj = people.mkdir(MALLORY, people.shared / "proj", mode=0o1777)
    package = people.mkdir(MALLORY, proj / "scratchenv")
    mark = _trap(people, package, "__init__")
    people.write(MALLORY, package / "__main__.py", "")
    login = people.run(ALICE, "bash", "-i", "-c", 'echo "hf=$HF_HOME"', cwd=proj)
    assert login.returncode == 0, login.stderr
    assert f"hf={people.root(ALICE)}" in login.stdout
    assert not list(people.shared.glob(f"{mark.name}*")), "mallory's package ran as alice"


HOSTILE = "p\x1b]52;c;cHduZWQ=\x07\x1b[2J\x1b[H\rok\x9b31m"
"""A directory name that sets the clipboard (OSC 52), clears the screen, returns the
carriage and opens a C1 control sequence, if a terminal receives it raw."""


def test_another_users_directory_name_reaches_the_terminal_escaped(people: People) -> None:
    """The reported case: the ignored-.env.local notice printed mallory's directory name
    raw. On a terminal (script gives alice a pty), every control character is escaped."""
    from helpers import need

    need("script")
    people.configure(ALICE)
    proj = people.mkdir(MALLORY, people.shared / HOSTILE, mode=0o1777)
    people.write(MALLORY, proj / ".env.local", "SCRATCHENV_PROJECT=x\n")
    shown = people.run(ALICE, "script", "-qec", f"{people.python} -P -m scratchenv env",
                       "/dev/null", cwd=proj)
    assert shown.returncode == 0, shown.stdout
    text = shown.stdout.replace("\r\n", "\n")
    assert ".env.local ignored" in text, text
    assert "\\x1b]52;c;cHduZWQ=\\x07\\x1b[2J\\x1b[H\\x0dok\\x9b31m" in text
    assert not {"\x1b", "\x07", "\x9b", "\r"} & set(text), repr(text)


@pytest.mark.parametrize("line", ['root_pattern = "/x/{user:>99999999999}"',
                                  'scratch_subdir = "{user.__init__.__globals__}"'])
def test_a_template_in_a_config_runs_nothing(people: People, line: str) -> None:
    """The reported cases (MemoryError, AttributeError, exit 3): one line, exit 2."""
    people.configure(ALICE)
    config = people.home(ALICE) / ".config" / "scratchenv" / "config.toml"
    config.write_text(line + "\n")
    result = people.scratchenv(ALICE, "env", SCRATCH=str(people.root(ALICE).parent))
    assert result.returncode == 2, result.stderr
    assert "is not a placeholder; the only ones are {user}, {cluster}" in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("shell", ["bash", "fish", "tcsh"])
def test_directories_a_login_makes_under_the_root_are_private(people: People,
                                                             shell: str) -> None:
    """With umask 002, the directories activation makes (caches holding compiled kernels
    and extensions among them) would be group-writable: a group member who can reach the
    root could put code there. They are made 0700; the user's umask is left as it was."""
    from helpers import need

    need(shell)
    lab = ensure_lab_group()
    people.configure(ALICE)
    os.chmod(people.root(ALICE), 0o755)  # a root the lab could look into, if it got there
    init = people.scratchenv(ALICE, "init", shell, group=lab)
    assert init.returncode == 0, init.stderr
    argv = {"bash": ("bash", "-i", "-c", "umask"), "fish": ("fish", "-c", "umask"),
            "tcsh": ("tcsh", "-c", "umask")}[shell]
    login = people.run(ALICE, *_umask002(*argv), group=lab, SHELL=f"/bin/{shell}")
    assert login.returncode == 0, login.stderr
    assert login.stdout.strip().splitlines()[-1].lstrip("0") == "2"  # her umask, unchanged
    made = [p for p in people.root(ALICE).rglob("*") if p.is_dir()]
    assert made, ("activation made no directory", login.stdout, login.stderr)
    assert [str(p) for p in made if p.stat().st_mode & 0o022] == []
