"""Disk usage of a tree, like `du -s`: one file system, no symlinks followed, hard links once.

The walk itself is walker.py's. On network file systems (Lustre, GPFS, NFS, BeeGFS) every
stat is a round trip, so directories are scanned by a pool of threads there. On a local disk
the walk is CPU-bound in Python (the lstat calls are as costly as du's, building their
results is not), so a tree that turns out big (more than HANDOFF_ENTRIES entries) is
finished here and by a helper process per other usable core; a small one never pays for
starting them (benchmarks/bench_usage.py).
"""

from __future__ import annotations

import _thread
import contextlib
import marshal
import os
import stat
import sys
from collections.abc import Iterable, Iterator

from scratchenv import realpaths
from scratchenv.disk.walker import (
    TICKET,
    TICKETS_FD,
    Links,
    directory,
    read_all,
    subtrees,
    take_tickets,
)
from scratchenv.plain import record

TYPE_CHECKING = False  # not `typing`: verify's fast path does without it
if TYPE_CHECKING:
    from threading import Thread

NETWORK_FS = frozenset({"lustre", "gpfs", "nfs", "nfs4", "beegfs", "cifs", "smb3", "ceph",
                        "fuse.sshfs", "panfs", "wekafs"})
"""File systems where parallel stat calls pay off (each one waits for a server)."""
PARALLEL_WORKERS = 8
HANDOFF_ENTRIES = 2_000
"""Entries walked in this process before helpers are started for the rest. A helper takes
~10 ms to start, the time to walk ~3,000 entries here: a tree done by then is not waited
for any longer (the helper is ended), and a bigger one is shared from its first 1%."""
SHARE_DIRECTORIES = 256
"""Directories to share out at least (when the tree has them): enough for an even split."""
MAX_CHUNKS = 1024
"""Chunks of directories a shared walk is cut into: their numbers fit into a pipe's
smallest buffer (4 KiB), so they are all written before any walker reads."""
_SHARING = _thread.allocate_lock()  # not `threading`: verify scans home at start-up
"""Held by the walk that is shared with helpers: scans in other threads go on alone
rather than put more processes than cores on the machine."""


@record
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
    try:
        top = os.stat(path)
    except OSError:  # most of the catalogue's locations, on most machines
        return Usage(path, 0, 0)
    real = realpaths.real(path)
    if not stat.S_ISDIR(top.st_mode):
        return Usage(path, top.st_blocks * 512, 1)  # a file (HF_TOKEN_PATH) is one file
    skip = {found for found in map(realpaths.identity, exclude) if found is not None}
    if workers is None:
        workers = PARALLEL_WORKERS if _fstype(real) in NETWORK_FS else 1
    walk = _walk_serial if workers <= 1 else _walk_parallel
    blocks, files, complete, processes = walk(real, top.st_dev, skip, stop_after_bytes, workers)
    return Usage(path, (top.st_blocks + blocks) * 512, files, complete, processes)


class _Tally:
    """Running totals; a file with several hard links counts once, whoever finds it."""

    def __init__(self) -> None:
        self.blocks = 0
        self.files = 0
        self._seen: set[tuple[int, int]] = set()

    def add(self, blocks: int, files: int, links: Links) -> None:
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
    still to do are shared with helper processes (a bounded walk is about to stop anyway)."""
    tally = _Tally()
    limit_blocks = None if limit is None else limit // 512
    stack = [path]
    may_share = limit is None and usable_cores() > 1
    while stack:
        if (may_share and tally.files > HANDOFF_ENTRIES and len(stack) > 1
                and _SHARING.acquire(blocking=False)):
            may_share = False
            try:
                processes = _share_out(stack, device, skip, tally)
            finally:
                _SHARING.release()
            if processes:
                return tally.blocks, tally.files, True, processes
        more, count, subdirs, links = directory(stack.pop(), device, skip)
        tally.add(more, count, links)
        stack += subdirs
        if limit_blocks is not None and tally.blocks > limit_blocks:
            return tally.blocks, tally.files, False, 1
    return tally.blocks, tally.files, True, 1


def usable_cores() -> int:
    """Cores this process may run on: taskset and Slurm's CPU binding narrow them."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _share_out(stack: list[str], device: int, skip: set[tuple[int, int]],
               tally: _Tally) -> int:
    """Finish the walk of the directories in `stack` here and in one helper per other
    usable core: the processes that walked, this one included; 0 when no helper started
    (nothing is walked then).

    The directories are chunks, numbered, shallowest (likely biggest) first; each walker
    takes the next number from a pipe they share when it is free, so a late or slow one
    takes fewer, and a helper's start-up overlaps the walk here."""
    with _Helpers(min(usable_cores(), PARALLEL_WORKERS) - 1) as helpers:
        if not helpers.started:
            return 0
        while 0 < len(stack) < SHARE_DIRECTORIES:
            # Few directories share out unevenly (a few big subtrees): open the
            # shallowest level here, so their children are shared out instead.
            top = min(map(_depth, stack))
            opened = [path for path in stack if _depth(path) == top]
            stack = [path for path in stack if _depth(path) != top]
            for path in opened:
                more, count, subdirs, links = directory(path, device, skip)
                tally.add(more, count, links)
                stack += subdirs
        stack.sort(key=_depth)
        size = max(1, -(-len(stack) // MAX_CHUNKS))
        chunks = [stack[index:index + size] for index in range(0, len(stack), size)]
        helpers.deal(chunks, device, skip)
        blocks, files, links, done = take_tickets(helpers.tickets, chunks, device, skip)
        tally.add(blocks, files, links)
        if len(done) == len(chunks):  # not one taken by a helper: none is waited for
            return 1
        walked = set(done)
        for blocks, files, links, done in helpers.results():
            tally.add(blocks, files, links)
            walked.update(done)
        for number in sorted(set(range(len(chunks))) - walked):  # a helper's that failed
            tally.add(*subtrees(chunks[number], device, skip))
        return 1 + helpers.reported


def _depth(path: str) -> int:
    return path.count("/")


_HELPER = "from scratchenv.disk.walker import serve; serve()"
"""What a helper runs, with this copy of scratchenv first on its path."""


class _Helpers:
    """Helper processes (proc.start_python), each reading its job on stdin, taking chunk
    numbers from the ticket pipe they share, writing its totals on stdout."""

    def __init__(self, count: int) -> None:
        self.started: list[tuple[int, int, int]] = []
        """(pid, job pipe, result pipe) of each helper."""
        self.reported = 0
        self._senders: list[Thread] = []
        self.tickets, self._dealer = os.pipe()
        if not sys.executable:
            return
        from scratchenv.proc import start_python

        package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        code = f"import sys; sys.path.insert(0, {package!r}); {_HELPER}"
        for _ in range(count):
            job_read, job = os.pipe()
            result, result_write = os.pipe()
            try:
                pid = start_python(code, {0: job_read, 1: result_write, TICKETS_FD: self.tickets})
            except OSError:
                os.close(job)
                os.close(result)
                break
            finally:
                os.close(job_read)
                os.close(result_write)
            self.started.append((pid, job, result))

    def __enter__(self) -> _Helpers:
        return self

    def deal(self, chunks: list[list[str]], device: int, skip: set[tuple[int, int]]) -> None:
        """Number the chunks into the ticket pipe (at most MAX_CHUNKS * 4 bytes: it holds
        them without a reader), and send each helper the job."""
        os.write(self._dealer, b"".join(number.to_bytes(TICKET, "little")
                                       for number in range(len(chunks))))
        os.close(self._dealer)
        self._dealer = -1
        from threading import Thread

        job = marshal.dumps((device, skip, chunks))
        for _, pipe, _ in self.started:
            # In a thread: a job bigger than the pipe waits for the helper to start.
            sender = Thread(target=_send, args=(pipe, job), daemon=True)
            sender.start()
            self._senders.append(sender)

    def results(self) -> Iterator[tuple[int, int, Links, list[int]]]:
        """Each helper's totals, once it has finished; nothing from one that failed."""
        while self.started:
            pid, _, result = self.started[0]
            data = read_all(result)
            os.close(result)
            _, status = os.waitpid(pid, 0)
            self.started.pop(0)
            if status == 0 and data:
                with contextlib.suppress(ValueError, EOFError, TypeError):
                    blocks, files, links, done = marshal.loads(data)
                    self.reported += 1
                    yield blocks, files, links, done

    def __exit__(self, *_: object) -> None:
        import signal

        for pipe in (self.tickets, self._dealer):
            if pipe >= 0:
                os.close(pipe)
        for pid, job, result in self.started:  # interrupted: end the rest
            os.close(result)
            if not self._senders:
                os.close(job)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        for sender in self._senders:
            sender.join()


def _send(pipe: int, job: bytes) -> None:
    try:
        with os.fdopen(pipe, "wb") as out:
            out.write(job)
    except OSError:  # the helper died: its chunks are walked by someone else
        pass


def _walk_parallel(path: str, device: int, skip: set[tuple[int, int]], limit: int | None,
                   workers: int) -> tuple[int, int, bool, int]:
    import queue
    import threading

    todo: queue.SimpleQueue[str | None] = queue.SimpleQueue()
    todo.put(path)
    lock = threading.Lock()
    tally = _Tally()
    limit_blocks = None if limit is None else limit // 512
    state = {"outstanding": 1, "stopped": False}

    def work() -> None:
        while (path := todo.get()) is not None:
            if state["stopped"]:
                continue
            more, count, subdirs, links = directory(path, device, skip)
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
