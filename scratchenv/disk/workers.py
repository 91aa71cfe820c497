"""Work shared out to forked worker processes (the transfer's copies and its checks).

Moving a tree is a few system calls per file with a little Python between them. Threads
would take turns at the GIL around every call, so the work goes to processes instead:
forked, they inherit the plan (nothing is pickled on the way in); each takes the next part
from a queue (a pipe of part numbers) and sends each part's result back on a pipe of its
own, pickled, so the parent merges results (and moves progress bars) as they come.

Stopping: an exception in a worker is raised in the parent, which interrupts the other
workers (SIGINT: each finishes or undoes the file at hand) and waits for them. A worker
dies with its parent (PR_SET_PDEATHSIG), and a worker killed by a signal takes the run with
it: the parent dies of the same signal, as if killed at that very step itself (a killed run
is what the journals are for).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import pickle
import select
import signal
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

Result = TypeVar("Result")

_PR_SET_PDEATHSIG = 1
_MAX_PARTS = 8192
"""Part numbers fill the queue before the first fork: 4 bytes each, in a 64 KiB pipe."""


def split(keys: Sequence[str], size: int) -> list[range]:
    """Index ranges of about `size` over `keys` (each item's directory, equal ones together),
    never cutting a run of equal keys: a directory belongs to one worker."""
    count = len(keys)
    size = max(1, size, -(-count // _MAX_PARTS))
    parts = []
    start = 0
    while start < count:
        end = min(start + size, count)
        while end < count and keys[end] == keys[end - 1]:
            end += 1
        parts.append(range(start, end))
        start = end
    return parts


def shared(job: Callable[[range], Result], parts: Sequence[range],
           workers: int) -> Iterator[Result]:
    """job(part) for every part, in `workers` forked processes (here, in order, when one
    will do); results come in the order the parts are finished."""
    if workers < 2 or len(parts) < 2:
        for part in parts:
            yield job(part)
        return
    queue, feed = os.pipe()
    os.write(feed, b"".join(n.to_bytes(4, "little") for n in range(len(parts))))
    os.close(feed)  # an empty queue reads as its end
    gc.freeze()  # the children's collections leave the inherited objects (and pages) alone
    children: dict[int, int] = {}
    try:
        for _ in range(min(workers, len(parts))):
            answers, answer = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(answers)
                for fd in children:
                    os.close(fd)
                _work(job, parts, queue, answer)
            os.close(answer)
            children[answers] = pid
    finally:
        gc.unfreeze()
        os.close(queue)
    yield from _collect(children)


def _collect(children: dict[int, int]) -> Iterator[Result]:
    pending = {fd: bytearray() for fd in children}
    try:
        while pending:
            ready, _, _ = select.select(list(pending), [], [])
            for fd in ready:
                data = os.read(fd, 1 << 16)
                if not data:
                    del pending[fd]
                    os.close(fd)
                    _reap(children.pop(fd))
                    continue
                buffer = pending[fd]
                buffer += data
                while len(buffer) >= 8:
                    size = int.from_bytes(buffer[:8], "little")
                    if len(buffer) < 8 + size:
                        break
                    result, error = pickle.loads(buffer[8:8 + size])
                    del buffer[:8 + size]
                    if error is not None:
                        raise error
                    yield result
    finally:
        for fd, pid in children.items():  # stopped early: the others stop too
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)
            os.close(fd)
        for pid in children.values():
            _reap(pid)


def _reap(pid: int) -> None:
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):  # SIGKILL has no handler to reset
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)


def _work(job: Callable[[range], object], parts: Sequence[range], queue: int,
          answer: int) -> None:
    """A worker's life: parts from the queue until it is empty; never returns."""
    try:
        parent = os.getppid()
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        while True:
            number = os.read(queue, 4)
            if not number:
                break
            _send(answer, (job(parts[int.from_bytes(number, "little")]), None))
    except BaseException as error:  # noqa: BLE001 - raised again in the parent
        with contextlib.suppress(BaseException):
            _send(answer, (None, _portable(error)))
    finally:
        os._exit(0)


def _portable(error: BaseException) -> BaseException:
    """`error` as the parent can unpickle it, with the worker's traceback as a note."""
    with contextlib.suppress(Exception):
        error.add_note("".join(traceback.format_exception(error)))
        pickle.loads(pickle.dumps(error))
        return error
    return RuntimeError(f"a worker failed: {error!r}")


def _send(fd: int, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(len(data).to_bytes(8, "little") + data)
    while view:
        view = view[os.write(fd, view):]
