"""scratchenv migrate: real copies between two file systems, kills, a full disk, conflicts."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.cli import cli, cli_process, scratchenv_argv
from helpers.fs import (
    IS_ROOT,
    OLD,
    as_a_user,
    files_only,
    isolate,
    make_tree,
    needs_root,
    second_fs,
    snapshot,
)

from scratchenv.config.settings import load_settings
from scratchenv.disk import room
from scratchenv.disk.copying import PART_PREFIX
from scratchenv.disk.room import Room
from scratchenv.home import migrate
from scratchenv.main import main
from scratchenv.plan import build_plan


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Home on the test's disk, the scratch root on a tmpfs: a real cross-device move."""
    home = tmp_path / "home"
    with second_fs(tmp_path / "mnt", "256m") as mnt:
        root = mnt / "scratch"
        isolate(monkeypatch, home, root)
        yield home, root


def parts(base: Path) -> list[str]:
    return [str(p) for p in base.rglob(f"{PART_PREFIX}*")]


def test_moves_a_tree_across_file_systems_exactly(env, capsys):
    home, root = env
    source = home / ".cache" / "pip"
    make_tree(source, files=60, big=3_000_000)
    before = snapshot(source)
    dest = root / "cache" / "pip"
    if IS_ROOT:
        assert os.stat(home).st_dev != os.stat(root.parent).st_dev

    assert main(["migrate", "pip", "--apply", "--yes"]) == 0

    assert not source.exists()
    assert snapshot(dest) == before
    assert os.stat(dest / "hardlink.bin").st_ino == os.stat(dest / "d1" / "e1" / "f1.bin").st_ino
    assert os.lstat(dest / "d0").st_mtime == OLD  # directory times too
    for private in (root, root / "cache", dest):  # made by migrate: private on shared scratch
        assert (os.lstat(private).st_mode & 0o777) == 0o700
    assert parts(dest) == []
    assert f"pip: moved {len(files_only(before))} files" in capsys.readouterr().out


def test_dry_run_shows_the_plan_and_moves_nothing(env, capsys):
    home, root = env
    make_tree(home / ".cache" / "pip")
    before = snapshot(home)
    assert main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert "~/.cache/pip" in out and f"{root}/cache/pip" in out
    if os.stat(home).st_dev == os.stat(root.parent).st_dev:  # not root: no tmpfs mounted
        assert f"space: {root.parent}: nothing to copy (the same file system: hard links)" in out
    else:
        assert "space:" in out and ": ok" in out
    assert "dry run" in out
    assert snapshot(home) == before
    assert not (root / "cache").exists()


def test_dry_run_size_is_the_space_taken_in_home_as_du_counts_it(env, capsys):
    """The SIZE column comes from the survey's walk: what a du-like scan of the whole
    source says (allocated, hard links once, sparse holes free, kept parts included)."""
    from scratchenv.disk.usage import scan
    from scratchenv.units import format_size

    home, _ = env
    source = home / ".cache" / "pip"
    make_tree(source, files=50, big=200_000)
    with open(source / "sparse.bin", "wb") as handle:
        handle.truncate(8 * 1024**2)
        handle.write(b"x")
    os.link(source / "sparse.bin", source / "d0" / "sparse-again")
    assert main(["migrate", "pip"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines()
               if line.startswith("pip "))
    assert f" {format_size(scan(str(source)).bytes)} " in row


def test_a_plan_kept_by_another_command_is_used_and_migrate_keeps_none(env, monkeypatch,
                                                                         capsys):
    """migrate reads the plan status kept (no settings validated, no pydantic), shows the
    same, and keeps none itself: a dry run leaves home exactly as it was."""
    import scratchenv.commands

    home, _ = env
    make_tree(home / ".cache" / "pip", files=5)
    before = snapshot(home)
    assert main(["migrate", "pip"]) == 0
    built = capsys.readouterr().out
    assert snapshot(home) == before
    main(["status"])
    capsys.readouterr()

    def no_settings(args):
        raise AssertionError("settings validated although a plan was kept")

    monkeypatch.setattr(scratchenv.commands, "settings_from", no_settings)
    assert main(["migrate", "pip"]) == 0
    assert capsys.readouterr().out == built


def test_dry_run_with_nothing_in_home_says_so(env, capsys):
    assert main(["migrate"]) == 0
    assert capsys.readouterr().out == "nothing to move\n"


def test_ctrl_c_says_how_to_finish(env, monkeypatch, capsys):
    home, _ = env
    make_tree(home / ".cache" / "pip", files=4)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(migrate, "_transfer", interrupted)
    assert main(["migrate", "pip", "--apply", "--yes"]) == 130
    assert capsys.readouterr().err == ("scratchenv: error: interrupted, nothing lost: "
                                       "`scratchenv migrate pip --apply` finishes the move\n")
    # A run that named no tool is finished by one that names none, not a list of 30.
    assert main(["migrate", "--apply", "--yes"]) == 130
    assert capsys.readouterr().err == ("scratchenv: error: interrupted, nothing lost: "
                                       "`scratchenv migrate --apply` finishes the move\n")


def test_huggingface_leaves_the_token_and_the_stored_tokens_in_home(env, capsys):
    home, root = env
    hf = home / ".cache" / "huggingface"
    (hf / "hub" / "models--x").mkdir(parents=True)
    (hf / "hub" / "models--x" / "blob").write_bytes(b"weights")
    (hf / "token").write_text("hf_secret")
    # Named tokens (`hf auth login` keeps each): huggingface_hub reads them beside the token.
    (hf / "stored_tokens").write_text("[work]\nhf_token = hf_other\n")
    assert main(["doctor"]) == 1
    assert "~/.cache/huggingface/stored_tokens (it stays beside HF_TOKEN_PATH)" in \
        capsys.readouterr().out
    assert main(["migrate", "huggingface", "--apply", "--yes"]) == 0
    assert (hf / "token").read_text() == "hf_secret"
    assert sorted(p.name for p in hf.iterdir()) == ["stored_tokens", "token"]
    moved = root / "cache" / "huggingface"
    assert (moved / "hub" / "models--x" / "blob").read_bytes() == b"weights"
    assert not (moved / "token").exists() and not (moved / "stored_tokens").exists()


def test_xdg_takes_only_what_no_more_specific_entry_owns(env):
    """The rule: the most specific entry owns a file. XDG_CACHE_HOME moves ~/.cache minus
    the directories of entries with their own default there (moved to their own place, not
    twice), minus pinned files and tools that ignore the variable (nanochat)."""
    home, root = env
    cache = home / ".cache"
    for rel, text in {"foo/y": "foo", "pip/http/x": "pip", "huggingface/token": "tok",
                      "huggingface/hub/m": "model", "nanochat/base/data": "nano"}.items():
        (cache / rel).parent.mkdir(parents=True, exist_ok=True)
        (cache / rel).write_text(text)

    assert main(["migrate", "xdg", "--apply", "--yes"]) == 0
    xdg = root / "cache" / "xdg"
    assert {p.relative_to(xdg).as_posix(): p.read_text() for p in xdg.rglob("*")
            if p.is_file()} == {"foo/y": "foo"}
    assert (cache / "pip" / "http" / "x").read_text() == "pip"
    assert (cache / "nanochat" / "base" / "data").read_text() == "nano"

    assert main(["migrate", "--apply", "--yes"]) == 0  # everything else, each to its own place
    assert (root / "cache" / "pip" / "http" / "x").read_text() == "pip"
    assert (root / "cache" / "huggingface" / "hub" / "m").read_text() == "model"
    assert (cache / "huggingface" / "token").read_text() == "tok"
    assert (cache / "nanochat" / "base" / "data").read_text() == "nano"  # not ours to move
    assert sorted(p.name for p in xdg.iterdir()) == ["foo"]


def test_unknown_tool_is_a_usage_error(env, capsys):
    assert main(["migrate", "nosuchtool"]) == 2
    assert "nothing to migrate for nosuchtool" in capsys.readouterr().err


def test_merge_keeps_conflicts_and_replaces_older(env, capsys):
    home, root = env
    source = home / ".cache" / "pip"
    dest = root / "cache" / "pip"
    for base in (source, dest):
        base.mkdir(parents=True)
    for name, text, when in (("same", "s", OLD), ("newer-there", "home", OLD),
                             ("older-there", "home", OLD + 100), ("only-home", "h", OLD)):
        (source / name).write_text(text)
        os.utime(source / name, (when, when))
    for name, text, when in (("same", "s", OLD), ("newer-there", "scratch", OLD + 100),
                             ("older-there", "scratch", OLD), ("only-there", "t", OLD)):
        (dest / name).write_text(text)
        os.utime(dest / name, (when, when))

    assert main(["migrate", "pip", "--apply", "--yes"]) == 1
    captured = capsys.readouterr()
    assert "conflict, both kept: ~/.cache/pip/newer-there (conflict: newer at the destination)" \
        in captured.out
    assert "nothing was lost" in captured.err
    assert sorted(p.name for p in source.iterdir()) == ["newer-there"]
    assert (source / "newer-there").read_text() == "home"
    assert {p.name: p.read_text() for p in dest.iterdir()} == {
        "same": "s", "newer-there": "scratch", "older-there": "home", "only-home": "h",
        "only-there": "t"}


def test_verify_hash_catches_what_size_and_mtime_cannot(env, capsys):
    home, root = env
    source, dest = home / ".cache" / "pip", root / "cache" / "pip"
    for base, text in ((source, "AAAA"), (dest, "BBBB")):
        base.mkdir(parents=True)
        (base / "f").write_text(text)
        os.utime(base / "f", (OLD, OLD))
    assert main(["migrate", "pip", "--apply", "--yes", "--verify", "hash"]) == 1
    assert "content differs" in capsys.readouterr().out
    assert (source / "f").read_text() == "AAAA" and (dest / "f").read_text() == "BBBB"


def test_link_leaves_a_symlink_and_a_rerun_is_a_no_op(env, capsys):
    home, root = env
    source = home / ".cargo"
    make_tree(source, files=5)
    assert main(["migrate", "cargo", "--apply", "--yes", "--link"]) == 0
    assert source.is_symlink() and os.readlink(source) == str(root / ".cargo")
    assert (source / "empty").exists()  # through the link
    capsys.readouterr()
    assert main(["migrate", "cargo", "--apply", "--yes", "--link"]) == 0
    assert "already moved" in capsys.readouterr().out


def test_link_alone_recreates_a_missing_parent_in_home(env, capsys):
    """Moved earlier without --link, ~/.cache since deleted: --link only adds the link."""
    home, root = env
    dest = root / "cache" / "pip"
    dest.mkdir(parents=True)
    (dest / "wheel").write_text("w")
    assert main(["migrate", "pip", "--apply", "--yes", "--link"]) == 0
    assert os.readlink(home / ".cache" / "pip") == str(dest)
    assert "~/.cache/pip is now a link to it" in capsys.readouterr().out
    assert not (root / migrate.JOURNAL).exists()


def test_link_is_refused_while_pinned_files_stay(env, capsys):
    home, _ = env
    hf = home / ".cache" / "huggingface"
    (hf / "hub").mkdir(parents=True)
    (hf / "hub" / "m").write_text("m")
    (hf / "token").write_text("t")
    assert main(["migrate", "huggingface", "--apply", "--yes", "--link"]) == 0
    assert not hf.is_symlink() and (hf / "token").read_text() == "t"
    assert "not linked: ~/.cache/huggingface holds places that stay in home" \
        in capsys.readouterr().out
    # Nor later, when there is nothing left to move: the token must stay a real file in home.
    assert main(["migrate", "--apply", "--yes", "--link"]) == 0
    assert not hf.is_symlink() and not (home / ".cache").is_symlink()


def test_progress_bar_shows_bytes_and_eta_when_asked(env, capsys):
    home, _ = env
    make_tree(home / ".cache" / "pip", files=20)
    assert main(["migrate", "pip", "--apply", "--yes", "--progress"]) == 0
    err = capsys.readouterr().err
    assert "copy pip" in err and "verify pip" in err
    assert "files done" in err and "/" in err


def test_no_progress_bar_when_stderr_is_not_a_terminal(env, capsys):
    home, _ = env
    make_tree(home / ".cache" / "pip", files=20)
    assert main(["migrate", "pip", "--apply", "--yes"]) == 0
    assert capsys.readouterr().err == ""


def test_same_file_system_moves_by_hard_link_without_copying(tmp_path, monkeypatch):
    home, root = tmp_path / "home", tmp_path / "scratch"
    isolate(monkeypatch, home, root)
    source = home / ".cache" / "pip"
    make_tree(source, files=10)
    before = snapshot(source)
    inode = os.stat(source / "d0" / "e0" / "f0.bin").st_ino
    assert main(["migrate", "pip", "--apply", "--yes"]) == 0
    dest = root / "cache" / "pip"
    assert snapshot(dest) == before and not source.exists()
    assert os.stat(dest / "d0" / "e0" / "f0.bin").st_ino == inode


def test_a_read_only_root_is_one_line_and_nothing_moves(env):
    needs_root()  # to remount the scratch file system read-only
    home, root = env
    source = home / ".cache" / "pip"
    make_tree(source, files=8)
    full = snapshot(source)
    root.mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(root.parent)], check=True)
    result = cli_process("migrate", "pip", "--apply", "--yes", env=child_env(home, root))
    assert result.returncode == 1
    assert result.stderr == (f"scratchenv: error: cannot write the migration journal {root}/"
                             ".scratchenv/migrate.json: Read-only file system (is the scratch "
                             "root writable?)\n")
    assert snapshot(source) == full


# Interrupted runs: SIGKILL at exact steps of the engine (tests/helpers/kill_at.py), chosen by hand
# and at random.

def child_env(home: Path, root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRATCHENV_")}
    return {**env, "HOME": str(home), "SCRATCHENV_ROOT": str(root),
            "SCRATCHENV_CONFIG": str(home / "no-config.toml"), **extra}


def assert_nothing_lost(original: dict, source: Path, dest: Path) -> None:
    """Every file is whole on at least one side; whatever is at a final name is whole."""
    at_source, at_dest = files_only(snapshot(source)), files_only(snapshot(dest))
    for rel, value in original.items():
        sides = [s[rel] for s in (at_source, at_dest) if rel in s]
        assert sides, f"{rel} is on neither side"
        assert all(side == value for side in sides), f"{rel} differs"
    extra = set(at_dest) - set(original)
    assert all(os.path.basename(rel).startswith(PART_PREFIX) for rel in extra), extra


# make_tree(files=50): 56 files and links, 17 directories (the top is the 17th removed).
@pytest.mark.slow  # a kill loop: a child process per kill
@pytest.mark.parametrize("point", ["copy:1", "copy:30", "rename:1", "rename:45", "unlink:1",
                                   "unlink:20", "unlink:56", "rmdir:3", "rmdir:16", "rmdir:17"])
def test_sigkill_at_each_step_then_a_rerun_finishes(env, point):
    home, root = env
    source, dest = home / ".cache" / "pip", root / "cache" / "pip"
    make_tree(source, files=50)
    original = files_only(snapshot(source))
    full = snapshot(source)

    killed = cli_process("migrate", "pip", "--apply", "--yes", env=child_env(home, root),
                         kill_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert_nothing_lost(original, source, dest)
    assert (root / migrate.JOURNAL).exists()

    finished = cli("migrate", "pip", "--apply", "--yes", env=child_env(home, root))
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert not source.exists()
    assert snapshot(dest) == full
    assert not (root / migrate.JOURNAL).exists()


def small_files(base: Path, count: int) -> None:
    for i in range(count):
        d = base / f"d{i % 50}" / f"e{i % 7}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i}").write_bytes(b"%d" % i * 20)


@pytest.mark.slow  # a kill loop: a child process per kill
def test_sigkill_at_random_steps_never_loses_a_file(env):
    """Killed again and again at steps drawn at random (seeded: the same in every run),
    each run continuing the last one's work: every file is always whole on one side."""
    home, root = env
    source, dest = home / ".cache" / "pip", root / "cache" / "pip"
    small_files(source, 3_000)
    make_tree(source / "varied", files=30)
    original = files_only(snapshot(source))
    full = snapshot(source)
    rng = random.Random(6)
    kills = 0
    for _ in range(12):
        point = f"{rng.choice(['copy', 'rename', 'unlink', 'rmdir'])}:{rng.randint(1, 400)}"
        run = cli_process("migrate", "pip", "--apply", "--yes", env=child_env(home, root),
                          kill_at=point)
        kills += run.returncode == -signal.SIGKILL
        assert_nothing_lost(original, source, dest)
        if not source.exists():
            break
    assert kills >= 2
    finished = cli("migrate", "pip", "--apply", "--yes", env=child_env(home, root))
    assert finished.returncode == 0, finished.stderr
    assert not source.exists()
    assert snapshot(dest) == full


def test_read_only_trees_move_and_resume_without_root_powers(env):
    """Module caches (Go's, some conda packages) are read-only directories of read-only
    files: the owner must open them up to delete, and the copies keep their modes."""
    home, root = env
    source, dest = home / ".cache" / "pip", root / "cache" / "pip"
    for i in range(6):
        d = source / "mod" / f"pkg{i}"
        d.mkdir(parents=True)
        (d / "code.go").write_text(f"package p{i}")
        (d / "code.go").chmod(0o444)
        d.chmod(0o555)
    (source / "mod").chmod(0o555)
    full = snapshot(source)
    argv = [sys.executable, "-m", "scratchenv", "migrate", "pip", "--apply", "--yes"]
    killed = subprocess.run(as_a_user([*scratchenv_argv("unlink:3"), *argv[3:]]),
                            env=child_env(home, root), capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    finished = subprocess.run(as_a_user(argv), env=child_env(home, root), capture_output=True,
                              text=True)
    assert finished.returncode == 0, finished.stderr
    assert not source.exists() and snapshot(dest) == full


def test_read_only_directories_left_in_home_keep_their_modes(env):
    """Opening a read-only directory to remove from it is ours to undo where it stays:
    here one holding a conflict, and ~/.cache itself (outside the moved tree)."""
    home, root = env
    cache, dest = home / ".cache", root / "cache" / "pip"
    source = cache / "pip"
    (source / "mod").mkdir(parents=True)
    (dest / "mod").mkdir(parents=True)
    (source / "mod" / "moves").write_text("m")
    (source / "mod" / "clash").write_text("home")
    (dest / "mod" / "clash").write_text("newer on scratch")
    os.utime(source / "mod" / "clash", (OLD, OLD))
    for read_only in (source / "mod", cache):
        read_only.chmod(0o555)
    argv = [sys.executable, "-m", "scratchenv", "migrate", "pip", "--apply", "--yes"]
    done = subprocess.run(as_a_user(argv), env=child_env(home, root), capture_output=True,
                          text=True)
    assert done.returncode == 1, done.stderr
    assert "conflict, both kept" in done.stdout
    assert sorted(os.listdir(source / "mod")) == ["clash"]
    assert (dest / "mod" / "moves").read_text() == "m"
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in (source / "mod", cache)} == {
        "mod": 0o555, ".cache": 0o555}
    cache.chmod(0o755)


# Space.

def test_refuses_up_front_when_the_destination_is_too_small(tmp_path, monkeypatch, capsys):
    needs_root()
    home = tmp_path / "home"
    with second_fs(tmp_path / "tiny", "256k") as tiny:
        isolate(monkeypatch, home, tiny / "scratch")
        make_tree(home / ".cache" / "pip", files=10, big=1_000_000)
        before = snapshot(home)
        assert main(["migrate", "pip", "--apply", "--yes"]) == 1
        err = capsys.readouterr().err
        assert "not enough space, nothing moved" in err and "NOT ENOUGH" in err
        assert snapshot(home) == before
        assert not (tiny / "scratch" / "cache").exists()


def test_refuses_up_front_when_the_quota_leaves_too_little(tmp_path, monkeypatch, capsys):
    """The file system has room; the quota (as the tools report it, disk/room.py) does not."""
    needs_root()
    home = tmp_path / "home"
    with second_fs(tmp_path / "roomy", "16m") as roomy:
        isolate(monkeypatch, home, roomy / "scratch")
        make_tree(home / ".cache" / "pip", files=10, big=1_000_000)
        before = snapshot(home)
        binding = "your quota (lfs on /scratch): hard limit 100G, 99.99G used"
        monkeypatch.setattr(room, "room_at", lambda path: Room(
            path, 10_000, binding, None, "the file system"))
        assert main(["migrate", "pip", "--apply", "--yes"]) == 1
        err = capsys.readouterr().err
        assert "not enough space, nothing moved" in err and f"limited by {binding}" in err
        assert snapshot(home) == before


def test_a_disk_that_fills_up_midway_stops_cleanly(tmp_path, monkeypatch, capsys):
    """statvfs can say there is room when there is not (quotas it does not see, other
    writers): pretend it said so, and let the real tmpfs run out."""
    needs_root()
    home = tmp_path / "home"
    with second_fs(tmp_path / "tiny", "512k") as tiny:
        isolate(monkeypatch, home, tiny / "scratch")
        source = home / ".cache" / "pip"
        make_tree(source, files=40, big=2_000_000)
        before = snapshot(source)
        monkeypatch.setattr(room, "room_at", lambda path: Room(
            path, 10**12, "the file system", None, "the file system"))

        assert main(["migrate", "pip", "--apply", "--yes"]) == 1
        err = capsys.readouterr().err
        assert "the destination filled up while copying" in err
        assert "No space left on device" in err and "nothing of pip was removed from home" in err
        assert snapshot(source) == before
        assert parts(tiny) == []

        # Room again (as after a clean-up): the re-run continues and finishes.
        subprocess.run(["mount", "-o", "remount,size=16m", str(tiny)], check=True)
        assert main(["migrate", "pip", "--apply", "--yes"]) == 0
        assert not source.exists()
        assert snapshot(tiny / "scratch" / "cache" / "pip") == before


def test_a_source_that_is_a_mount_point_is_left_whole(tmp_path, monkeypatch, capsys):
    """A file system mounted at ~/.cache/pip is another place, not pip's cache to empty:
    nothing of it moves, and the plan says why."""
    needs_root()
    home = tmp_path / "home"
    isolate(monkeypatch, home, tmp_path / "scratch")
    with second_fs(home / ".cache" / "pip", "16m") as source:
        (source / "wheel").write_text("w")
        assert main(["migrate", "pip", "--apply", "--yes"]) == 0
        out = capsys.readouterr().out
        assert "pip: keeps ~/.cache/pip (a mount point (another file system or a bind " \
               "mount): not crossed)" in out
        assert os.listdir(source) == ["wheel"]
        assert not (tmp_path / "scratch" / "cache" / "pip").exists()
        assert migrate.interrupted(build_plan(load_settings())) is None


def test_a_bind_mount_inside_a_source_is_not_crossed(env, capsys):
    """The reported loss: a home directory bind-mounted inside a cache (the same file
    system, so only /proc/self/mountinfo tells). Its files stay, the cache moves."""
    needs_root()
    home, root = env
    thesis = home / "Documents" / "thesis"
    thesis.mkdir(parents=True)
    (thesis / "chapter1.tex").write_text("years of work")
    cache = home / ".cache" / "pip"
    (cache / "bound").mkdir(parents=True)
    (cache / "wheel").write_text("w")
    subprocess.run(["mount", "--bind", str(thesis), str(cache / "bound")], check=True)
    try:
        assert main(["migrate", "pip", "--apply", "--yes"]) == 0
        out = capsys.readouterr().out
    finally:
        subprocess.run(["umount", str(cache / "bound")], check=True)
    assert (thesis / "chapter1.tex").read_text() == "years of work"
    assert (root / "cache" / "pip" / "wheel").read_text() == "w"
    assert not (root / "cache" / "pip" / "bound").exists()
    assert "pip: keeps ~/.cache/pip/bound (a mount point" in out


# Data safety: what counts as already there, whose temporary files, racing jobs, holes.

def test_same_size_and_mtime_is_not_proof_both_are_kept(env, capsys):
    home, root = env
    source, dest = home / ".cache" / "torch" / "hub", root / "cache" / "torch" / "hub"
    for base, text in ((source, "A" * 35), (dest, "B" * 35)):
        base.mkdir(parents=True)
        (base / "model.bin").write_text(text)
        os.utime(base / "model.bin", (OLD, OLD))
    assert main(["migrate", "torch", "--apply", "--yes"]) == 1  # the default --verify
    assert "content differs" in capsys.readouterr().out
    assert (source / "model.bin").read_text() == "A" * 35
    assert (dest / "model.bin").read_text() == "B" * 35


def test_an_identical_file_already_there_is_settled_by_its_content(env, capsys):
    home, root = env
    source, dest = home / ".cache" / "pip", root / "cache" / "pip"
    for base in (source, dest):
        base.mkdir(parents=True)
        (base / "f").write_text("same")
        os.utime(base / "f", (OLD, OLD))
    assert main(["migrate", "pip", "--apply", "--yes"]) == 0
    assert not source.exists() and (dest / "f").read_text() == "same"


def test_a_users_file_that_looks_like_a_temporary_copy_is_moved_not_deleted(env):
    home, root = env
    source, dest = home / ".cache" / "pip", root / "cache" / "pip"
    source.mkdir(parents=True)
    dest.mkdir(parents=True)
    (source / f"{PART_PREFIX}notes").write_text("mine, in home")
    (dest / f"{PART_PREFIX}draft").write_text("mine, on scratch")
    (source / "other").write_text("x")
    assert main(["migrate", "pip", "--apply", "--yes"]) == 0
    assert (dest / f"{PART_PREFIX}notes").read_text() == "mine, in home"
    assert (dest / f"{PART_PREFIX}draft").read_text() == "mine, on scratch"
    assert not source.exists()


def test_replacing_never_clobbers_a_file_a_job_writes_meanwhile(env, monkeypatch, capsys):
    from scratchenv.disk import placing

    home, root = env
    source, dest = home / ".cache" / "pip", root / "cache" / "pip"
    for base, text, when in ((source, "home, newer", OLD + 100), (dest, "scratch, old", OLD)):
        base.mkdir(parents=True)
        (base / "f").write_text(text)
        os.utime(base / "f", (when, when))

    def a_job_writes() -> None:  # right before the replace: the worst moment
        (dest / "job.tmp").write_text("the job's newest")
        os.replace(dest / "job.tmp", dest / "f")

    monkeypatch.setattr(placing, "before_replacing", a_job_writes)
    assert main(["migrate", "pip", "--apply", "--yes"]) == 1
    assert "changed at the destination while moving" in capsys.readouterr().out
    assert (dest / "f").read_text() == "the job's newest"
    assert (source / "f").read_text() == "home, newer"
    assert [p.name for p in dest.iterdir()] == ["f"]


def test_sparse_files_stay_sparse_across_file_systems(env):
    needs_root()  # on one file system the move is a hard link: no copy to keep sparse
    home, root = env
    source = home / ".cache" / "pip"
    source.mkdir(parents=True)
    sparse = source / "disk.img"
    with open(sparse, "wb") as handle:
        handle.seek(32 * 1024 * 1024)
        handle.write(b"end")
        handle.seek(4096)
        handle.write(b"start")
    content = sparse.read_bytes()
    assert os.stat(sparse).st_blocks * 512 < 1024 * 1024, "the test disk keeps no holes"
    assert main(["migrate", "pip", "--apply", "--yes"]) == 0
    moved = root / "cache" / "pip" / "disk.img"
    assert moved.read_bytes() == content
    assert os.stat(moved).st_blocks * 512 < 1024 * 1024


def test_with_a_purge_policy_moved_files_get_the_current_time(env, monkeypatch):
    home, root = env
    source = home / ".cache" / "pip"
    make_tree(source, files=5)
    monkeypatch.setenv("SCRATCHENV_PURGE__DAYS", "30")
    before = time.time() - 5
    assert main(["migrate", "pip", "--apply", "--yes"]) == 0
    for path in (root / "cache" / "pip").rglob("*"):
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode):
            assert st.st_mtime >= before and st.st_atime >= before, path
