"""migrate asks what a thing is and whose it is before moving it: other users' files,
shared places behind a symlinked parent, mount points, environments, scratchenv's own
install, what rc files source. Each case is a loss a user reported (issues 21 and 24)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from helpers.fs import isolate, needs_root, second_fs
from helpers.users import ALICE, MALLORY, People

from scratchenv.disk import room
from scratchenv.disk.room import Room
from scratchenv.main import main


def _files(base: Path) -> list[str]:
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if not p.is_dir())


@pytest.mark.slow
def test_a_lab_cache_behind_a_symlinked_parent_is_left_alone(people: People) -> None:
    """~/.cache links to the lab's shared cache, where mallory keeps a model: alice's
    `migrate huggingface --apply` must not carry it into alice's private root."""
    lab = people.mkdir(MALLORY, people.shared / "lab-cache", mode=0o777)
    model = people.write(MALLORY, lab / "huggingface" / "hub" / "models--lab--big" / "model.bin",
                         b"mallory's weights")
    for directory in (lab / "huggingface", lab / "huggingface" / "hub", model.parent):
        os.chmod(directory, 0o777)  # a group-writable lab cache: alice could unlink it
    people.write(ALICE, lab / "huggingface" / "hub" / "alice.txt", "alice's own")
    people.configure(ALICE)
    (people.home(ALICE) / ".cache").symlink_to(lab)

    plan = people.scratchenv(ALICE, "migrate", "huggingface")
    run = people.scratchenv(ALICE, "migrate", "huggingface", "--apply", "--yes")

    assert run.returncode == 0, run.stdout + run.stderr
    assert model.read_bytes() == b"mallory's weights"
    assert _files(lab / "huggingface") == ["hub/alice.txt", "hub/models--lab--big/model.bin"]
    assert not (people.root(ALICE) / "cache" / "huggingface").exists()
    said = f"~/.cache is a symlink to {lab}: left alone"
    assert said in plan.stdout and said in run.stdout


@pytest.mark.slow
def test_another_users_file_in_my_cache_is_never_moved(people: People) -> None:
    """A direct ~/.cache/huggingface of alice's, made group-writable, holds a model mallory
    wrote: alice's files move, mallory's stays where it is and is named."""
    hub = people.mkdir(ALICE, people.home(ALICE) / ".cache" / "huggingface" / "hub", 0o777)
    people.write(ALICE, hub / "mine" / "a.bin", b"alice")
    theirs = people.write(MALLORY, hub / "theirs.bin", b"mallory")
    people.mkdir(MALLORY, hub / "their-dir")
    people.write(MALLORY, hub / "their-dir" / "b.bin", b"mallory too")
    people.configure(ALICE)

    run = people.scratchenv(ALICE, "migrate", "huggingface", "--apply", "--yes")

    assert run.returncode == 0, run.stdout + run.stderr
    moved = people.root(ALICE) / "cache" / "huggingface"
    assert _files(moved) == ["hub/mine/a.bin"]
    assert _files(hub) == ["their-dir/b.bin", "theirs.bin"]
    assert theirs.read_bytes() == b"mallory"
    for name in ("theirs.bin", "their-dir"):
        assert (f"keeps ~/.cache/huggingface/hub/{name} (owned by {MALLORY}, not by you: "
                "never moved)") in run.stdout


def test_a_parent_linked_into_the_users_own_root_is_no_shared_place(home_and_root, capsys):
    """After `migrate xdg --link`, ~/.cache leads into the root: what is behind it is the
    user's own, already in place."""
    home, root = home_and_root
    (root / "cache" / "huggingface" / "hub").mkdir(parents=True)
    (root / "cache" / "huggingface" / "hub" / "x").write_text("x")
    (home / ".cache").symlink_to(root / "cache")

    assert main(["migrate", "huggingface", "--apply", "--yes"]) == 0

    assert "~/.cache/huggingface: home and destination are the same place" in \
        capsys.readouterr().out
    assert (root / "cache" / "huggingface" / "hub" / "x").read_text() == "x"


# Not plain files: extended attributes and ACLs across file systems.

def _acl(user_id: int) -> bytes:
    """A POSIX ACL as the kernel stores it in system.posix_acl_*: owner rw, user `user_id`
    r, group r, mask r, other none (what `setfacl -m u:ID:r` leaves)."""
    entries = [(0x01, 6, 0xFFFFFFFF), (0x02, 4, user_id), (0x04, 4, 0xFFFFFFFF),
               (0x10, 4, 0xFFFFFFFF), (0x20, 0, 0xFFFFFFFF)]
    return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries)


def _tagged_tree(source: Path) -> None:
    (source / "shared").mkdir(parents=True)
    tagged = source / "shared" / "notes.bin"
    tagged.write_bytes(b"data")
    os.setxattr(tagged, "user.origin", b"https://example.org/notes")
    os.setxattr(tagged, "system.posix_acl_access", _acl(4242))
    os.setxattr(source / "shared", "system.posix_acl_default", _acl(4242))
    (source / "plain.bin").write_bytes(b"plain")


@pytest.fixture
def home_and_root(tmp_path, monkeypatch):
    home = tmp_path / "home"
    with second_fs(tmp_path / "mnt", "64m") as mnt:
        isolate(monkeypatch, home, mnt / "scratch")
        yield home, mnt / "scratch"


def test_extended_attributes_and_acls_cross_file_systems(home_and_root, capsys):
    needs_root()
    home, root = home_and_root
    source = home / ".cache" / "pip"
    _tagged_tree(source)
    assert os.stat(home).st_dev != os.stat(root.parent).st_dev

    assert main(["migrate", "pip", "--apply", "--yes"]) == 0

    assert not source.exists()
    dest = root / "cache" / "pip"
    assert os.getxattr(dest / "shared" / "notes.bin", "user.origin") == \
        b"https://example.org/notes"
    assert os.getxattr(dest / "shared" / "notes.bin", "system.posix_acl_access") == _acl(4242)
    assert os.getxattr(dest / "shared", "system.posix_acl_default") == _acl(4242)
    assert (dest / "plain.bin").read_bytes() == b"plain"


def test_a_destination_without_extended_attributes_keeps_the_originals(
        tmp_path, monkeypatch, capsys):
    """ramfs holds no extended attributes at all (ENOTSUP). It has no size either, so its
    statvfs says 0 free: the room is given as ample, the only thing not real here."""
    needs_root()
    home = tmp_path / "home"
    mnt = tmp_path / "ramfs"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "ramfs", "ramfs", str(mnt)], check=True)
    try:
        isolate(monkeypatch, home, mnt / "scratch")
        monkeypatch.setattr(room, "room_at",
                            lambda path: Room(path, 1 << 40, "the file system", None, ""))
        source = home / ".cache" / "pip"
        _tagged_tree(source)

        assert main(["migrate", "pip", "--apply", "--yes"]) == 1
        out = capsys.readouterr()
        dest = mnt / "scratch" / "cache" / "pip"
        assert (dest / "plain.bin").read_bytes() == b"plain"
        assert not (source / "plain.bin").exists()
        kept = source / "shared" / "notes.bin"
        assert kept.read_bytes() == b"data"
        assert os.getxattr(kept, "user.origin") == b"https://example.org/notes"
        assert os.getxattr(kept, "system.posix_acl_access") == _acl(4242)
        assert os.getxattr(source / "shared", "system.posix_acl_default") == _acl(4242)
        assert not (dest / "shared" / "notes.bin").exists()
        assert ("left in home: ~/.cache/pip/shared/notes.bin (the destination cannot keep its "
                "ACL, user.origin: kept)") in out.out
        assert "left in home: ~/.cache/pip/shared (directory: the destination cannot keep " \
               "its default ACL: kept)" in out.out
        assert "nothing was lost" in out.err
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


# Sparse files: the space check counts what the copy writes.

def test_a_sparse_file_is_counted_by_its_data_not_its_size(tmp_path, monkeypatch, capsys):
    """3 GiB apparent, 4 KiB of data, onto a 16 MiB tmpfs: the copy keeps the holes, so
    the up-front check must not refuse it."""
    needs_root()
    home = tmp_path / "home"
    with second_fs(tmp_path / "small", "16m") as small:
        isolate(monkeypatch, home, small / "scratch")
        source = home / ".cache" / "pip"
        source.mkdir(parents=True)
        image = source / "disk.img"
        data = os.urandom(4096)
        with open(image, "wb") as handle:
            handle.seek(3 * 1024**3 - 4096)
            handle.write(data)
        assert os.stat(image).st_blocks * 512 <= 64 * 1024, "the test disk keeps no holes"

        assert main(["migrate", "pip"]) == 0
        assert "needs 8.0K" in capsys.readouterr().out  # the data block and one directory
        assert main(["migrate", "pip", "--apply", "--yes"]) == 0

        moved = small / "scratch" / "cache" / "pip" / "disk.img"
        assert not image.exists()
        assert os.stat(moved).st_size == 3 * 1024**3
        assert os.stat(moved).st_blocks * 512 <= 64 * 1024
        with open(moved, "rb") as handle:
            handle.seek(3 * 1024**3 - 4096)
            assert handle.read() == data


# Environments and scratchenv's own install: things whose scripts name their own path.

def _shebang_script(path: Path, interpreter: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{interpreter}\nimport sys\nprint('ok')\n")
    path.chmod(0o755)


def _conda_env(prefix: Path) -> None:
    """A stand-in for `conda create -p PREFIX` (conda and micromamba are not on PyPI and not
    installable here): conda-meta/ with history, and a script whose shebang names the prefix,
    as conda writes them."""
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / "history").write_text("==> 2026-12-01 <==\n# cmd: conda create\n")
    (prefix / "bin").mkdir()
    os.symlink(os.path.realpath(sys.executable), prefix / "bin" / "python")
    _shebang_script(prefix / "bin" / "tool", prefix / "bin" / "python")


def test_a_conda_env_is_kept_with_the_commands_that_rebuild_it(home_and_root, capsys):
    home, root = home_and_root
    envs = home / ".conda" / "envs"
    _conda_env(envs / "thesis")
    (envs / ".conda_envs_dir_test").write_text("")

    assert main(["migrate", "conda", "--apply", "--yes"]) == 0

    out = capsys.readouterr().out
    tool = envs / "thesis" / "bin" / "tool"
    assert subprocess.run([tool], capture_output=True, text=True).stdout == "ok\n"
    assert not (root / "conda" / "envs" / "thesis").exists()
    assert (root / "conda" / "envs" / ".conda_envs_dir_test").exists()
    new = root / "conda" / "envs" / "thesis"
    assert (f"conda: keeps ~/.conda/envs/thesis (a conda environment (its scripts and "
            f"shebangs name this prefix: moved, it breaks); rebuild it there: `conda env "
            f"export -p {envs / 'thesis'} > env.yml && conda env create -p {new} -f env.yml "
            f"&& conda env remove -p {envs / 'thesis'}`)") in out


def test_pipx_apps_stay_and_the_rest_of_pipx_home_moves(home_and_root, capsys):
    """pipx's venvs (a real venv each, with pipx's metadata) keep working from ~/.local/bin;
    its logs move. The advice is doctor's for pipx apps PIPX_HOME lacks, which
    tests/home/test_doctor.py runs with the real pipx (homeclean's branch)."""
    home, root = home_and_root
    pipx = home / ".local" / "share" / "pipx"
    app = pipx / "venvs" / "black"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(app)], check=True)
    (app / "pipx_metadata.json").write_text(  # pipx 1.18's record, shortened
        '{"main_package": {"package": "black", "package_or_url": "black==24.1.0"}}\n')
    _shebang_script(app / "bin" / "black", app / "bin" / "python")
    (home / ".local" / "bin").mkdir(parents=True)
    (home / ".local" / "bin" / "black").symlink_to(app / "bin" / "black")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(pipx / "shared")],
                   check=True)
    (pipx / "logs").mkdir()
    (pipx / "logs" / "cmd.log").write_text("log")

    assert main(["migrate", "pipx", "--apply", "--yes"]) == 0

    out = capsys.readouterr().out
    run = subprocess.run([home / ".local" / "bin" / "black"], capture_output=True, text=True)
    assert run.stdout == "ok\n"
    assert (root / "pipx" / "logs" / "cmd.log").read_text() == "log"
    assert not (root / "pipx" / "venvs" / "black").exists()
    assert (f"pipx: keeps ~/.local/share/pipx/venvs/black (a pipx app (its scripts' shebangs "
            "name this path: moved, it breaks); it keeps working here; to have it under the "
            f"new PIPX_HOME: `env PIPX_HOME={root / 'pipx'} pipx install --force "
            "black==24.1.0`)") in out
    assert "pipx: keeps ~/.local/share/pipx/shared (a Python virtual environment" in out


@pytest.mark.slow
def test_scratchenv_never_moves_its_own_install(tmp_path):
    """Issue 24: installed with pipx, scratchenv runs from ~/.local/share/pipx/venvs/
    scratchenv; `migrate --apply` moved that venv and broke every login. Here it really
    runs from such a venv (the checkout on its path) and migrates that pipx home."""
    home, root = tmp_path / "home", tmp_path / "scratch"
    own = home / ".local" / "share" / "pipx" / "venvs" / "scratchenv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(own)], check=True)
    (own / "pipx_metadata.json").write_text("{}\n")
    (home / ".local" / "share" / "pipx" / "logs").mkdir()
    checkout = Path(__file__).resolve().parents[2]
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "SCRATCHENV_ROOT": str(root),
           "PYTHONPATH": f"{checkout}:{sysconfig.get_paths()['purelib']}", "LANG": "C.UTF-8"}

    def scratchenv(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([own / "bin" / "python", "-m", "scratchenv", *args], env=env,
                              capture_output=True, text=True, timeout=120)

    dry = scratchenv("migrate")
    run = scratchenv("migrate", "--apply", "--yes")

    assert run.returncode == 0, run.stdout + run.stderr
    assert (own / "bin" / "python").exists()
    assert not (root / "pipx").exists()
    assert "pipx" not in dry.stdout + run.stdout
    # PIPX_HOME stays where pipx keeps scratchenv: `pipx list`/`pipx upgrade` still find it.
    shown = json.loads(scratchenv("env", "--format", "json").stdout)
    assert shown["PIPX_HOME"] == str(home / ".local" / "share" / "pipx")
    assert scratchenv("status").returncode == 0


# What the rc files source stays where they name it.

OLD_RUSTUP_ENV = 'export PATH="$HOME/.cargo/bin:$PATH"\n'
"""~/.cargo/env as rustup-init wrote it before 1.23: no `# rustup` line to recognise it by."""


def _login_stderr(home: Path) -> str:
    shell = subprocess.run(["bash", "-l", "-i", "-c", "true"], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=60,
                           env={"HOME": str(home), "PATH": "/usr/bin:/bin", "TERM": "dumb"})
    # Without a terminal, bash -i always says it has no job control: not our business.
    return "\n".join(line for line in shell.stderr.splitlines()
                     if "job control" not in line and "terminal process group" not in line)


@pytest.mark.slow
def test_files_the_rc_files_source_stay_and_logins_stay_quiet(home_and_root, capsys):
    """A stock home (/etc/skel) where rustup-init added its line to .profile and .bashrc,
    and pywal's colours are sourced from ~/.cache: `migrate --apply` moves the rest, and a
    login shell prints no error afterwards."""
    home, root = home_and_root
    skel = Path("/etc/skel")
    if not (skel / ".bashrc").exists():
        pytest.skip("no /etc/skel/.bashrc on this system")  # Debian has one; CI is Debian
    for name in (".bashrc", ".profile"):
        text = (skel / name).read_text() if (skel / name).exists() else ""
        (home / name).write_text(text + '\n. "$HOME/.cargo/env"\n')
    with open(home / ".bashrc", "a") as handle:
        handle.write("[ -f ~/.cache/wal/colors-tty.sh ] && source ~/.cache/wal/colors-tty.sh\n")
    (home / ".cargo" / "registry").mkdir(parents=True)
    (home / ".cargo" / "env").write_text(OLD_RUSTUP_ENV)
    (home / ".cargo" / "registry" / "index").write_text("crates")
    (home / ".cache" / "wal").mkdir(parents=True)
    (home / ".cache" / "wal" / "colors-tty.sh").write_text("export WAL_COLOR=1\n")
    (home / ".cache" / "wal" / "colors.json").write_text("{}")
    assert _login_stderr(home) == ""

    assert main(["migrate", "--apply", "--yes"]) == 0

    out = capsys.readouterr().out
    assert _login_stderr(home) == ""
    assert (home / ".cargo" / "env").read_text() == OLD_RUSTUP_ENV
    assert (home / ".cache" / "wal" / "colors-tty.sh").exists()
    assert (root / ".cargo" / "registry" / "index").read_text() == "crates"
    assert not (home / ".cache" / "wal" / "colors.json").exists()
    assert "~/.cargo/env (~/.profile sources it: moved, every new shell would print an " \
           "error)" in out
