"""transfer.py on its own: odd names, special files, empty and read-only directories."""

from __future__ import annotations

import ctypes
import errno
import os
import stat
from pathlib import Path

import pytest
from helpers.fs import OLD, files_only, isolate, make_tree, needs_root, second_fs, snapshot

from scratchenv.disk import placing, transfer
from scratchenv.disk.copying import PART_PREFIX, new_token, part_name
from scratchenv.disk.survey import survey
from scratchenv.disk.transfer import Transfer

HOSTILE = "'\";&&e-$ èрт🚒♞中片-j"


def test_odd_names_empty_and_read_only_directories(tmp_path):
    source = tmp_path / "src"
    (source / HOSTILE / "empty-dir").mkdir(parents=True)
    (source / HOSTILE / ("n" * 255)).write_text("long name")
    os.makedirs(os.fsencode(source) + b"/bad-\xff-utf8")
    (source / "ro").mkdir()
    (source / "ro" / "inside").write_text("ro")
    (source / "ro").chmod(0o555)
    os.utime(source / "ro", (OLD, OLD))
    before = snapshot(source)
    with second_fs(tmp_path / "mnt", "16m") as mnt:
        dest = str(mnt / "dest")
        outcome = Transfer(survey(str(source), dest)).run()
        assert outcome.finished and not outcome.failed
        assert snapshot(dest) == before
        assert os.lstat(f"{dest}/ro").st_mtime == OLD
        assert not source.exists()


def test_special_files_stay_and_are_reported(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    os.mkfifo(source / "pipe")
    (source / "f").write_text("f")
    with second_fs(tmp_path / "mnt", "16m") as mnt:
        outcome = Transfer(survey(str(source), str(mnt / "dest"))).run()
        assert outcome.skipped == [("pipe", "not a file, directory or symlink")]
        assert not outcome.finished
        assert stat.S_ISFIFO(os.lstat(source / "pipe").st_mode)
        assert (mnt / "dest" / "f").read_text() == "f" and not (source / "f").exists()


def test_a_special_file_as_the_whole_entry_stays(tmp_path):
    source = tmp_path / "pipe"
    os.mkfifo(source)
    with second_fs(tmp_path / "mnt", "16m") as mnt:
        plan = survey(str(source), str(mnt / "dest"))
        assert plan.items == [] and plan.skipped == [("", "not a file, directory or symlink")]
        assert not Transfer(plan).run().finished  # returns: no open() of the fifo
        assert stat.S_ISFIFO(os.lstat(source).st_mode) and not (mnt / "dest").exists()


def test_a_single_file_entry_moves_as_a_file(tmp_path):
    source = tmp_path / "token-like"
    source.write_text("secret")
    source.chmod(0o600)
    with second_fs(tmp_path / "mnt", "16m") as mnt:
        dest = mnt / "deep" / "er" / "file"
        assert Transfer(survey(str(source), str(dest))).run().finished
        assert dest.read_text() == "secret" and (dest.stat().st_mode & 0o777) == 0o600
        assert (dest.parent.stat().st_mode & 0o777) == 0o700


def test_leftover_temporary_copies_are_removed_on_the_next_run(tmp_path):
    source, dest = tmp_path / "src", tmp_path / "dest"
    source.mkdir()
    (source / "a").write_text("a")
    dest.mkdir()
    token = new_token()
    (dest / os.path.basename(part_name(f"{dest}/a", token))).write_text("half")
    (dest / f"{PART_PREFIX}mine").write_text("a user's file: not ours")
    plan = survey(str(source), str(dest), part_tokens=[token])
    assert plan.partials == [part_name(f"{dest}/a", token)]
    Transfer(plan).run()
    assert sorted(os.listdir(dest)) == [f"{PART_PREFIX}mine", "a"]


def test_part_names_stay_under_name_max():
    assert part_name("/d/short", "t0") == f"/d/{PART_PREFIX}t0.short"
    long = part_name("/d/" + "x" * 255, new_token())
    assert len(os.path.basename(long)) < 255 and long.startswith(f"/d/{PART_PREFIX}")


def test_a_file_that_changes_while_moving_stays(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path / "home", tmp_path / "scratch")
    source, dest = tmp_path / "src", tmp_path / "dest"
    source.mkdir()
    (source / "log").write_text("one")
    plan = survey(str(source), str(dest))
    (source / "log").write_text("one two")  # written to after the survey
    outcome = Transfer(plan).run()
    assert outcome.failed == [("log", "changed while moving: kept, re-run")]
    assert (source / "log").read_text() == "one two"


def test_a_file_replaced_after_its_copy_stays_even_with_the_same_size_and_time(tmp_path):
    """Caches replace files by renaming a new one over them; tar-like writers keep times."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "f").write_text("old!")
    os.utime(source / "f", (OLD, OLD))

    def replace() -> None:
        (tmp_path / "new").write_text("new!")
        os.utime(tmp_path / "new", (OLD, OLD))
        os.replace(tmp_path / "new", source / "f")

    with second_fs(tmp_path / "mnt", "16m") as mnt:
        outcome = Transfer(survey(str(source), str(mnt / "dest"))).run(
            before_removing=replace)
        assert outcome.failed == [("f", "changed while moving: kept, re-run")]
        assert (source / "f").read_text() == "new!"


def _without_noreplace(*args: object) -> int:
    ctypes.set_errno(errno.EINVAL)  # what NFS and other file systems answer
    return -1


@pytest.mark.parametrize("renameat2", [placing.renameat2, lambda: _without_noreplace])
def test_files_written_at_the_destination_while_moving_are_never_overwritten(
        tmp_path, monkeypatch, renameat2):
    """A job already using the new place writes there between the survey and the copy."""
    monkeypatch.setattr(placing, "renameat2", renameat2)
    with second_fs(tmp_path / "mnt", "16m") as mnt:
        for n, dest in enumerate((tmp_path / "dest", mnt / "dest")):  # link, then copy
            source = tmp_path / f"src{n}"
            source.mkdir()
            dest.mkdir()
            for name in ("new", "older"):
                (source / name).write_text("from home")
                os.utime(source / name, (OLD + 10, OLD + 10))
            (dest / "older").write_text("old")
            os.utime(dest / "older", (OLD, OLD))
            plan = survey(str(source), str(dest))
            assert sorted(item.action for item in plan.items) == ["copy", "replace"]
            (dest / "new").write_text("the job's")
            (dest / "older").write_text("the job's, newer")

            outcome = Transfer(plan).run()

            assert sorted(outcome.conflicts) == [
                ("new", "conflict: appeared at the destination while moving"),
                ("older", "conflict: changed at the destination while moving")]
            assert {p.name: p.read_text() for p in dest.iterdir()} == {
                "new": "the job's", "older": "the job's, newer"}
            assert {p.name: p.read_text() for p in source.iterdir()} == {
                "new": "from home", "older": "from home"}


@pytest.fixture
def shared_out(monkeypatch):
    """Copies and checks in worker processes even for a small tree: a part per directory."""
    monkeypatch.setattr(transfer, "SHARED_FROM", 1)
    monkeypatch.setattr(transfer, "PART_FILES", 1)
    monkeypatch.setattr(transfer, "usable_cores", lambda: 2)


def test_workers_move_a_tree_exactly_as_one_process_does(tmp_path, shared_out):
    source = tmp_path / "src"
    make_tree(source, files=60)
    (source / "d1" / "ro").mkdir()
    (source / "d1" / "ro" / "in").write_text("read-only directory")
    (source / "d1" / "ro").chmod(0o555)
    before = snapshot(source)
    counted = [0, 0]

    def progress(nbytes: int, nfiles: int) -> None:
        counted[0] += nbytes
        counted[1] += nfiles

    with second_fs(tmp_path / "mnt", "16m") as mnt:
        plan = survey(str(source), str(mnt / "dest"))
        outcome = Transfer(plan, progress=progress).run(verified=progress)
        assert outcome.finished and not (outcome.failed or outcome.conflicts)
        assert snapshot(mnt / "dest") == before
        dest = mnt / "dest"
        assert os.stat(dest / "hardlink.bin").st_ino == os.stat(dest / "d1/e1/f1.bin").st_ino
        assert counted == [2 * plan.total_bytes, 2 * len(plan.items)]


def test_workers_report_conflicts_and_changes_as_one_process_does(tmp_path, monkeypatch):
    """The same trouble, once in this process and once shared out: the same outcome, in
    plan order, and the same files on both sides."""
    def scene(where: Path) -> tuple[object, dict, dict]:
        source, dest = where / "src", where / "dest"
        for d in range(6):
            for f in range(5):
                (source / f"d{d}").mkdir(parents=True, exist_ok=True)
                (source / f"d{d}" / f"f{f}").write_text(f"{d}.{f} from home")
                os.utime(source / f"d{d}" / f"f{f}", (OLD + 10, OLD + 10))
        (dest / "d2").mkdir(parents=True)
        (dest / "d2" / "f1").write_text("older on scratch")
        os.utime(dest / "d2" / "f1", (OLD, OLD))
        plan = survey(str(source), str(dest))
        (dest / "d4").mkdir()
        (dest / "d4" / "f3").write_text("a job's, meanwhile")  # appears after the survey
        (dest / "d2" / "f1").write_text("a job's, newer")
        for written in (dest / "d4" / "f3", dest / "d2" / "f1"):
            os.utime(written, (OLD + 30, OLD + 30))
        (source / "d1" / "f0").write_text("written to after the survey")
        os.utime(source / "d1" / "f0", (OLD + 20, OLD + 20))
        outcome = Transfer(plan).run()
        return outcome, files_only(snapshot(source)), files_only(snapshot(dest))

    with second_fs(tmp_path / "mnt", "16m") as mnt:
        alone = scene(mnt / "alone")
        monkeypatch.setattr(transfer, "SHARED_FROM", 1)
        monkeypatch.setattr(transfer, "PART_FILES", 1)
        monkeypatch.setattr(transfer, "usable_cores", lambda: 2)
        together = scene(mnt / "shared")
    assert together == alone
    outcome = alone[0]
    assert sorted(outcome.conflicts) == [
        ("d2/f1", "conflict: changed at the destination while moving"),
        ("d4/f3", "conflict: appeared at the destination while moving")]
    assert outcome.failed == [("d1/f0", "changed while moving: kept, re-run")]


def test_a_destination_full_in_a_worker_stops_the_run_with_the_source_whole(
        tmp_path, shared_out):
    needs_root()
    source = tmp_path / "src"
    for d in range(8):
        (source / f"d{d}").mkdir(parents=True)
        (source / f"d{d}" / "big").write_bytes(os.urandom(300_000))
    before = snapshot(source)
    with second_fs(tmp_path / "tiny", "1m") as tiny:
        with pytest.raises(transfer.DestinationFull) as full:
            Transfer(survey(str(source), str(tiny / "dest"))).run()
        assert full.value.error.errno == errno.ENOSPC
        assert full.value.path.startswith(f"{source}/d")
        assert snapshot(source) == before
        assert [p for p in (tiny / "dest").rglob("*") if PART_PREFIX in p.name] == []
