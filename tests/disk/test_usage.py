"""usage.scan against du on real trees: hard links once, symlinks not followed, bounded."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.sharing import share_early

from scratchenv.disk.usage import Usage, scan


def du_bytes(path: Path) -> int:
    out = subprocess.run(["du", "-s", "-x", "--block-size=1", str(path)], check=True,
                         capture_output=True, text=True).stdout
    return int(out.split()[0])


def du_inodes(path: Path) -> int:
    out = subprocess.run(["du", "-s", "-x", "--inodes", str(path)], check=True,
                         capture_output=True, text=True).stdout
    return int(out.split()[0])


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    for index in range(30):
        directory = root / f"d{index % 5}" / f"e{index}"
        directory.mkdir(parents=True)
        for number in range(20):
            (directory / f"f{number}").write_bytes(b"y" * (number * 150))
    big = tmp_path / "outside"
    big.mkdir()
    (big / "blob").write_bytes(b"z" * 5_000_000)
    (root / "link-to-outside").symlink_to(big)
    os.link(root / "d0" / "e0" / "f19", root / "hardlink")
    os.link(root / "d0" / "e0" / "f19", root / "d1" / "hardlink2")
    return root


@pytest.fixture(autouse=True)
def _du_available() -> None:
    if shutil.which("du") is None:  # coreutils: always there on Linux
        pytest.fail("du not installed")


@pytest.mark.parametrize("workers", [1, 4])
def test_scan_matches_du(tree: Path, workers: int) -> None:
    usage = scan(str(tree), workers=workers)
    assert usage.complete
    assert usage.bytes == du_bytes(tree)
    assert usage.files == du_inodes(tree) - 1  # du counts the top directory itself
    assert usage.bytes < 5_000_000  # the symlinked 5 MB blob is not followed


def test_a_big_tree_shared_out_to_processes_still_matches_du(tree: Path, monkeypatch) -> None:
    from scratchenv.disk import usage

    share_early(usage, monkeypatch.setattr, cores=3)
    # Hard links found by different processes still count once (the parent dedupes).
    result = scan(str(tree), workers=1)
    assert result.processes == 3
    assert (result.bytes, result.files) == (du_bytes(tree), du_inodes(tree) - 1)


def walked_alone_and_shared(path: Path, monkeypatch) -> tuple[Usage, Usage]:
    """`path` scanned by this process alone, then shared out to processes early."""
    from scratchenv.disk import usage

    monkeypatch.setattr(usage, "HANDOFF_ENTRIES", 10**12)
    alone = scan(str(path))
    share_early(usage, monkeypatch.setattr)
    return alone, scan(str(path))


def test_processes_count_hard_links_across_subtrees_once_and_follow_no_symlink(
        tree: Path, tmp_path: Path, monkeypatch) -> None:
    # Hard links in subtrees that different processes walk, and to a file outside the tree.
    os.link(tree / "d3" / "e3" / "f18", tree / "d4" / "e4" / "linked-across")
    os.link(tree / "d2" / "e2" / "f17", tree / "d1" / "e1" / "linked-across")
    (tmp_path / "outside-file").write_bytes(b"o" * 70_000)
    os.link(tmp_path / "outside-file", tree / "d0" / "e5" / "linked-outside")
    (tree / "d3" / "to-dir").symlink_to(tree / "d0")
    (tree / "d4" / "dangling").symlink_to(tmp_path / "nothing")
    alone, shared = walked_alone_and_shared(tree, monkeypatch)
    assert (alone.processes, shared.processes > 1) == (1, True)
    assert (shared.bytes, shared.files) == (alone.bytes, alone.files)
    assert (shared.bytes, shared.files) == (du_bytes(tree), du_inodes(tree) - 1)


def test_processes_do_not_cross_a_mount_inside_the_tree(tree: Path, monkeypatch) -> None:
    from helpers.fs import needs_root, second_fs

    needs_root()
    with second_fs(tree / "d3" / "e8" / "mounted", "8m") as mounted:
        (mounted / "big").write_bytes(b"m" * 3_000_000)
        alone, shared = walked_alone_and_shared(tree, monkeypatch)
        assert shared.processes > 1
        assert (shared.bytes, shared.files) == (alone.bytes, alone.files)
        # du -x leaves out the mount point and what is mounted there.
        assert (shared.bytes, shared.files) == (du_bytes(tree), du_inodes(tree) - 1)
        assert shared.bytes < 3_000_000


def test_a_scan_in_a_thread_pool_still_shares_out_to_processes(tree: Path, monkeypatch) -> None:
    # `status` scans its locations and the root in a pool of threads.
    from concurrent.futures import ThreadPoolExecutor

    from scratchenv.disk import usage

    share_early(usage, monkeypatch.setattr)
    with ThreadPoolExecutor(max_workers=4) as pool:
        both = [pool.submit(scan, str(tree)) for _ in range(2)]
        results = [future.result() for future in both]
    # One scan at a time shares out (no more processes than cores); the other walks alone.
    assert max(result.processes for result in results) == 2
    for result in results:
        assert (result.bytes, result.files) == (du_bytes(tree), du_inodes(tree) - 1)


_UNREADABLE = """
import json, subprocess, sys
from scratchenv.disk import usage

tree = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from helpers.sharing import share_early

usage.HANDOFF_ENTRIES = 10**12
alone = usage.scan(tree)
share_early(usage)
shared = usage.scan(tree)
du = subprocess.run(["du", "-s", "-x", "--block-size=1", tree], capture_output=True, text=True)
print(json.dumps([alone.bytes, alone.files, alone.processes,
                  shared.bytes, shared.files, shared.processes, int(du.stdout.split()[0])]))
"""


def test_processes_skip_unreadable_directories_as_the_walk_alone_does(tree: Path) -> None:
    from helpers.fs import as_a_user, with_our_packages

    (tree / "d2" / "e7").chmod(0)  # not listable: its files are not counted
    (tree / "d1" / "e6").chmod(0o311)  # searchable, not listable
    try:
        done = subprocess.run(as_a_user([sys.executable, "-c", _UNREADABLE, str(tree),
                                         str(Path(__file__).parent.parent)]),
                              capture_output=True, text=True, env=with_our_packages())
    finally:
        (tree / "d2" / "e7").chmod(0o755)
        (tree / "d1" / "e6").chmod(0o755)
    assert done.returncode == 0, done.stderr
    alone_bytes, alone_files, alone_processes, shared_bytes, shared_files, processes, du = (
        json.loads(done.stdout))
    assert (alone_processes, processes > 1) == (1, True)
    assert (shared_bytes, shared_files) == (alone_bytes, alone_files)
    assert shared_bytes == du  # du, too, counts the unreadable directories themselves only
    assert shared_bytes < du_bytes(tree)  # as root, their files count


@pytest.mark.parametrize("helper", [
    # takes three chunks, then dies without a word: someone else walks them
    "import os; [os.read(3, 4) for _ in range(3)]; raise SystemExit(1)",
    # answers nonsense
    "import os; [os.read(3, 4) for _ in range(3)]; os.write(1, b'nonsense')",
    # cannot start at all
    "raise SystemExit(1)",
])
def test_a_failed_helper_has_its_share_walked_by_another(
        tree: Path, monkeypatch, helper: str) -> None:
    from scratchenv.disk import usage

    share_early(usage, monkeypatch.setattr, wait="os.read" in helper)
    monkeypatch.setattr(usage, "_HELPER", helper)
    result = scan(str(tree), workers=1)
    assert (result.bytes, result.files) == (du_bytes(tree), du_inodes(tree) - 1)
    assert result.processes == 1  # the helper's totals were not counted


def test_a_tree_walked_before_a_helper_takes_a_chunk_does_not_wait_for_it(
        tree: Path, monkeypatch) -> None:
    from scratchenv.disk import usage

    share_early(usage, monkeypatch.setattr, wait=False)
    started, finished = tree.parent / "started", tree.parent / "finished"
    monkeypatch.setattr(usage, "_HELPER", (
        f"import time; open({str(started)!r}, 'w').close(); time.sleep(2); "
        f"open({str(finished)!r}, 'w').close()"))
    take = usage.take_tickets

    def once_the_helper_runs(*args: object) -> object:
        while not started.exists():
            time.sleep(0.005)
        return take(*args)

    monkeypatch.setattr(usage, "take_tickets", once_the_helper_runs)
    result = scan(str(tree))
    assert (result.bytes, result.files) == (du_bytes(tree), du_inodes(tree) - 1)
    assert result.processes == 1
    time.sleep(2.5)
    assert not finished.exists()  # ended, not waited for


def test_a_helper_is_a_fresh_interpreter_not_a_fork(tree: Path, monkeypatch) -> None:
    # This process may have threads (status scans in a pool): a fork could inherit a lock
    # held forever. The helper imports the walker alone.
    from scratchenv.disk import usage

    share_early(usage, monkeypatch.setattr)
    monkeypatch.setattr(os, "fork", lambda: pytest.fail("forked"))
    probe = tree.parent / "modules"
    monkeypatch.setattr(usage, "_HELPER", usage._HELPER + (
        f"; open({str(probe)!r}, 'w').write(repr(sorted(m for m in sys.modules "
        "if m.startswith('scratchenv'))))"))
    assert scan(str(tree)).processes == 2
    assert probe.read_text() == repr(["scratchenv", "scratchenv.disk", "scratchenv.disk.walker"])


def test_stop_after_bytes_stops_early(tmp_path: Path) -> None:
    for index in range(50):
        directory = tmp_path / f"d{index}"
        directory.mkdir()
        for number in range(100):
            (directory / f"f{number}").write_bytes(b"x" * 4096)
    for workers in (1, 4):
        usage = scan(str(tmp_path), stop_after_bytes=256 * 1024, workers=workers)
        assert not usage.complete
        assert usage.bytes > 256 * 1024
        assert usage.files < 1000  # of 5050


def test_exclude_by_identity(tree: Path) -> None:
    whole = scan(str(tree))
    part = scan(str(tree), exclude=[str(tree / "d3")])
    assert part.bytes == whole.bytes - du_bytes(tree / "d3")


def test_a_symlinked_top_is_followed_like_du_with_a_slash(tree: Path, tmp_path: Path) -> None:
    # /home/u -> /gpfs/home/u: the home is what the link points at, not a 0-byte link.
    link = tmp_path / "home-link"
    link.symlink_to(tree)
    usage = scan(str(link))
    assert (usage.path, usage.bytes) == (str(link), du_bytes(tree))
    assert usage.files == du_inodes(tree) - 1
    # Below the top, symlinks are still not followed (link-to-outside holds 5 MB).
    assert usage.bytes < 5_000_000


def test_missing_path_and_single_file(tmp_path: Path) -> None:
    assert scan(str(tmp_path / "nope")).bytes == 0
    (tmp_path / "file").write_bytes(b"x" * 10000)
    assert scan(str(tmp_path / "file")).bytes == du_bytes(tmp_path / "file")


def test_unreadable_directory_is_skipped_not_fatal(tree: Path) -> None:
    # Root can read anything; the point is that a vanished directory does not raise.
    victim = tree / "d4"
    shutil.rmtree(victim)
    assert scan(str(tree)).complete


_INTERRUPTED_WALK = """
import os, sys, time
from scratchenv.disk import usage

ready = sys.argv[1]
usage._HELPER = (f"import os, time; open(os.path.join({ready!r}, str(os.getpid())), 'w')"
                 "; time.sleep(60)")
usage.usable_cores = lambda: 3

def slow(*_):
    open(os.path.join(ready, "parent"), "w").close()
    time.sleep(60)

usage.take_tickets = slow
try:
    usage._share_out(["/a", "/b", "/c", "/d"], 0, set(), usage._Tally())
except KeyboardInterrupt:
    print("interrupted")
    sys.exit(130)
"""


def test_ctrl_c_during_a_shared_walk_is_one_interruption_and_ends_the_helpers(tmp_path):
    ready = tmp_path / "ready"
    ready.mkdir()
    # ^C in a terminal signals the whole foreground process group: the helpers too.
    walk = subprocess.Popen(
        [sys.executable, "-c", _INTERRUPTED_WALK, str(ready)], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 30
    while len(list(ready.iterdir())) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    helpers = [int(path.name) for path in ready.iterdir() if path.name != "parent"]
    assert len(helpers) == 2
    os.killpg(walk.pid, signal.SIGINT)
    out, err = walk.communicate(timeout=30)
    assert (walk.returncode, out, err) == (130, "interrupted\n", "")
    for pid in helpers:  # ended and reaped, not left walking
        assert not Path(f"/proc/{pid}").exists()
