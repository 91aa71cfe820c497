"""Disk usage of a tree, like `du -s`: one file system, no symlinks followed, hard links once.

Each directory is opened once and its entries are lstat'ed relative to it (fstatat with a
directory fd, as du's fts does), which saves the path walk per file. On network file systems
(Lustre, GPFS, NFS, BeeGFS) every stat is a round trip, so directories are scanned by a pool
of threads there. On a local disk the walk is CPU-bound in Python, so a tree that turns out
big (more than HANDOFF_ENTRIES entries) is finished by one process per core; a small one
never pays for starting them (benchmarks/bench_usage.py).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import queue
import signal
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from scratchenv.realpaths import identity

TYPE_CHECKING = False  # not `typing`: verify's fast path does without it
if TYPE_CHECKING:
    from typing import NoReturn

_OPEN_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_S_IFMT, _S_IFDIR = 0o170000, 0o040000
NETWORK_FS = frozenset({"lustre", "gpfs", "nfs", "nfs4", "beegfs", "cifs", "smb3", "ceph",
                        "fuse.sshfs", "panfs", "wekafs"})
"""File systems where parallel stat calls pay off (each one waits for a server)."""
PARALLEL_WORKERS = 8
HANDOFF_ENTRIES = 10_000
"""Entries walked in this process before the rest of a big tree is shared out."""
SHARE_DIRECTORIES = 256
"""Directories to share out at least (when the tree has them): enough for an even split."""
_SHARING = threading.Lock()
"""Held by the walk whose share is in processes: scans in other threads go on alone
rather than put more processes than cores on the machine."""


@dataclass(frozen=True)
class Usage:
    path: str
    bytes: int
    """Allocated bytes (st_blocks * 512), as `du` counts them."""
    files: int
    """Inodes below the path (files, directories, symlinks; a hard-linked file once): what
    inode quotas count."""
    complete: bool = True
    """False when the scan stopped early at a limit."""
    processes: int = 1
    """Processes that walked the tree: more than 1 when a big tree was shared out."""


def scan(
    path: str,
    *,
    stop_after_bytes: int | None = None,
    exclude: Iterable[str] = (),
    workers: int | None = None,
) -> Usage:
    """Walk `path` without following symlinks or leaving its file system.

    With `stop_after_bytes`, stops as soon as the total crosses it (complete=False), so a
    check on a huge home answers quickly. Directories in `exclude` (compared by device and
    inode) are neither counted nor entered. `workers`: threads; default 1 on local file
    systems, PARALLEL_WORKERS on network ones.

    `path` itself is followed when it is a symlink (as `du -s path/` does): homes and
    scratch roots often are one (/home/u -> /gpfs/home/u), and its target is what it holds.
    """
    real = os.path.realpath(path)
    try:
        top = os.lstat(real)
    except OSError:
        return Usage(path, 0, 0)
    if top.st_mode & _S_IFMT != _S_IFDIR:
        return Usage(path, top.st_blocks * 512, 1)  # a file (HF_TOKEN_PATH) is one file
    skip = {found for found in map(identity, exclude) if found is not None}
    if workers is None:
        workers = PARALLEL_WORKERS if _fstype(real) in NETWORK_FS else 1
    walk = _walk_serial if workers <= 1 else _walk_parallel
    blocks, files, complete, processes = walk(real, top.st_dev, skip, stop_after_bytes, workers)
    return Usage(path, (top.st_blocks + blocks) * 512, files, complete, processes)


def _directory(
    path: str, device: int, skip: set[tuple[int, int]]
) -> tuple[int, int, list[str], list[tuple[int, int, int]]]:
    """One directory: (blocks of plain entries, entries, sub-directories, multi-link files)."""
    blocks = count = 0
    subdirs: list[str] = []
    links: list[tuple[int, int, int]] = []
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return 0, 0, subdirs, links
    lstat = os.lstat
    try:
        try:
            names = os.listdir(fd)
        except OSError:
            return 0, 0, subdirs, links
        for name in names:
            try:
                st = lstat(name, dir_fd=fd)
            except OSError:
                continue
            if st.st_mode & _S_IFMT == _S_IFDIR:
                if skip and (st.st_dev, st.st_ino) in skip:
                    continue
                if st.st_dev == device:  # a mount point is left out, as by `du -x`
                    count += 1
                    blocks += st.st_blocks
                    subdirs.append(f"{path}/{name}")
            elif st.st_nlink > 1:  # counted by the caller, once per inode
                links.append((st.st_dev, st.st_ino, st.st_blocks))
            else:
                count += 1
                blocks += st.st_blocks
    finally:
        os.close(fd)
    return blocks, count, subdirs, links


class _Tally:
    """Running totals; a file with several hard links counts once, whoever finds it."""

    def __init__(self) -> None:
        self.blocks = 0
        self.files = 0
        self._seen: set[tuple[int, int]] = set()

    def add(self, blocks: int, files: int, links: list[tuple[int, int, int]]) -> None:
        self.blocks += blocks
        self.files += files
        for dev, ino, size in links:
            if (dev, ino) not in self._seen:
                self._seen.add((dev, ino))
                self.blocks += size
                self.files += 1


def _walk_serial(path: str, device: int, skip: set[tuple[int, int]], limit: int | None,
                 workers: int) -> tuple[int, int, bool, int]:
    """Depth-first here; once an unbounded walk has seen HANDOFF_ENTRIES, the directories
    still to do go to processes (a bounded walk is about to stop anyway)."""
    tally = _Tally()
    limit_blocks = None if limit is None else limit // 512
    stack = [path]
    while stack:
        if (limit is None and tally.files > HANDOFF_ENTRIES and len(stack) > 1 and _can_fork()
                and _SHARING.acquire(blocking=False)):
            try:
                blocks, files, processes = _share_out(stack, device, skip, tally)
                return blocks, files, True, processes
            finally:
                _SHARING.release()
        more, count, subdirs, links = _directory(stack.pop(), device, skip)
        tally.add(more, count, links)
        stack += subdirs
        if limit_blocks is not None and tally.blocks > limit_blocks:
            return tally.blocks, tally.files, False, 1
    return tally.blocks, tally.files, True, 1


def _share_out(stack: list[str], device: int, skip: set[tuple[int, int]],
               tally: _Tally) -> tuple[int, int, int]:
    """Finish the walk of the directories in `stack` with one forked child per core:
    (blocks, entries, processes that walked, this one included)."""
    if len(stack) < SHARE_DIRECTORIES:
        # Few directories share out unevenly (a few big subtrees): open the
        # shallowest level here, so their children are shared out instead.
        top = min(directory.count("/") for directory in stack)
        opened = [directory for directory in stack if directory.count("/") == top]
        stack = [directory for directory in stack if directory.count("/") != top]
        for directory in opened:
            more, count, subdirs, links = _directory(directory, device, skip)
            tally.add(more, count, links)
            stack += subdirs
    children = 0
    for totals in _walk_processes(stack, device, skip) if stack else ():
        tally.add(*totals)
        children += 1
    return tally.blocks, tally.files, 1 + children


def _can_fork() -> bool:
    """Processes pay off with two cores or more.

    Forking from a thread, or beside other threads (status scans its locations in a pool),
    is safe here: a lock another thread holds at fork time stays held in the child, but the
    child only lists, lstats, marshals and writes to its own pipe before os._exit, touching
    no lock but the interpreter's own, which fork re-creates."""
    return (os.cpu_count() or 1) > 1 and hasattr(os, "fork")


def _walk_processes(
    directories: list[str], device: int, skip: set[tuple[int, int]]
) -> Iterator[tuple[int, int, list[tuple[int, int, int]]]]:
    """Totals of the trees under `directories`, walked by one forked child per core.

    Plain fork and a pipe each, not a multiprocessing pool: the pool's start and stop cost
    as much as walking tens of thousands of entries. The directories are dealt out
    shallowest first, round-robin, so each child gets a like mix of big and small subtrees.
    A child that fails has its share walked here instead.
    """
    processes = min(os.cpu_count() or 1, PARALLEL_WORKERS)
    ordered = sorted(directories, key=lambda directory: directory.count("/"))
    shares = [ordered[index::processes] for index in range(processes)]
    children: list[tuple[int, int, list[str]]] = []
    # ^C reaches the whole process group: the children are born with SIGINT blocked, so
    # only this process raises KeyboardInterrupt (one "interrupted" line) and ends them.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        for share in shares:
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:
                _child(read, write, share, device, skip)
            os.close(write)
            children.append((pid, read, share))
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    try:
        while children:
            pid, read, share = children[0]
            data = _read_all(read)
            os.close(read)
            children.pop(0)
            _, status = os.waitpid(pid, 0)
            yield marshal.loads(data) if status == 0 and data else _subtrees(share, device, skip)
    finally:
        for pid, read, _ in children:  # interrupted: end the rest
            os.close(read)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _child(read: int, write: int, share: list[str], device: int,
           skip: set[tuple[int, int]]) -> NoReturn:
    """In a forked child: walk `share`, write the totals to `write`, never return."""
    code = 1
    try:
        os.close(read)
        data = marshal.dumps(_subtrees(share, device, skip))
        with os.fdopen(write, "wb") as out:
            out.write(data)
        code = 0
    finally:
        os._exit(code)


def _subtrees(
    share: list[str], device: int, skip: set[tuple[int, int]]
) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Blocks, entries and multi-link files below the directories of `share` (in a child,
    or here when the child failed)."""
    stack = list(share)
    blocks = files = 0
    links: list[tuple[int, int, int]] = []
    while stack:
        more, count, subdirs, found = _directory(stack.pop(), device, skip)
        blocks += more
        files += count
        links += found
        stack += subdirs
    return blocks, files, links


def _walk_parallel(path: str, device: int, skip: set[tuple[int, int]], limit: int | None,
                   workers: int) -> tuple[int, int, bool, int]:
    todo: queue.SimpleQueue[str | None] = queue.SimpleQueue()
    lock = threading.Lock()
    tally = _Tally()
    limit_blocks = None if limit is None else limit // 512
    state = {"outstanding": 1, "stopped": False}
    todo.put(path)

    def work() -> None:
        while (directory := todo.get()) is not None:
            if state["stopped"]:
                continue
            more, count, subdirs, links = _directory(directory, device, skip)
            with lock:
                if state["stopped"]:
                    continue
                tally.add(more, count, links)
                state["outstanding"] += len(subdirs) - 1
                over = limit_blocks is not None and tally.blocks > limit_blocks
                finished = over or state["outstanding"] == 0
                state["stopped"] = over
            for subdir in subdirs:
                todo.put(subdir)
            if finished:
                for _ in range(workers):
                    todo.put(None)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally.blocks, tally.files, not state["stopped"], 1


def _fstype(path: str) -> str:
    from scratchenv.disk.quota import mount_of

    return mount_of(path)[2]
