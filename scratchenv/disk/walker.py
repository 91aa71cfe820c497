"""The du-like walk of directories, by usage.scan and by the helper processes it starts for
a big tree: what one directory holds, whole subtrees, and a helper's life.

Standard library only and no other scratchenv module: a helper is a bare interpreter
(`python -I -S`) that imports this module alone, so it is walking within milliseconds.
"""

from __future__ import annotations

import marshal
import os

OPEN_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_S_IFMT, _S_IFDIR = 0o170000, 0o040000
TICKETS_FD = 3
"""A helper's end of the ticket pipe: 4-byte chunk numbers, shared by every walker."""
TICKET = 4

Links = list[tuple[int, int, int]]
"""(device, inode, blocks) of files with more than one hard link: counted once, by whoever
adds up the totals."""


def directory(
    path: str, device: int, skip: set[tuple[int, int]]
) -> tuple[int, int, list[str], Links]:
    """One directory: (blocks of plain entries, entries, sub-directories, multi-link files).

    Opened once, its entries lstat'ed relative to it (fstatat with a directory fd, as du's
    fts does), which saves the kernel walking the whole path for each file."""
    blocks = count = 0
    subdirs: list[str] = []
    links: Links = []
    try:
        fd = os.open(path, OPEN_FLAGS)
    except OSError:
        return 0, 0, subdirs, links
    lstat, kind, is_dir = os.lstat, _S_IFMT, _S_IFDIR
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
            if st.st_mode & kind == is_dir:
                if skip and (st.st_dev, st.st_ino) in skip:
                    continue
                if st.st_dev == device:  # a mount point is left out, as by `du -x`
                    count += 1
                    blocks += st.st_blocks
                    subdirs.append(f"{path}/{name}")
            elif st.st_nlink > 1:
                links.append((st.st_dev, st.st_ino, st.st_blocks))
            else:
                count += 1
                blocks += st.st_blocks
    finally:
        os.close(fd)
    return blocks, count, subdirs, links


def subtrees(
    directories: list[str], device: int, skip: set[tuple[int, int]]
) -> tuple[int, int, Links]:
    """Blocks, entries and multi-link files below `directories` (not counting themselves)."""
    stack = list(directories)
    blocks = files = 0
    links: Links = []
    while stack:
        more, count, subdirs, found = directory(stack.pop(), device, skip)
        blocks += more
        files += count
        links += found
        stack += subdirs
    return blocks, files, links


def take_tickets(
    tickets: int, chunks: list[list[str]], device: int, skip: set[tuple[int, int]]
) -> tuple[int, int, Links, list[int]]:
    """Walk the chunks whose numbers come out of the pipe `tickets` until it is empty:
    (blocks, entries, multi-link files, the numbers walked)."""
    blocks = files = 0
    links: Links = []
    done: list[int] = []
    while len(ticket := os.read(tickets, TICKET)) == TICKET:
        number = int.from_bytes(ticket, "little")
        more, count, found = subtrees(chunks[number], device, skip)
        blocks += more
        files += count
        links += found
        done.append(number)
    return blocks, files, links, done


def read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def serve() -> None:
    """A helper: (device, skip, chunks) arrive on stdin; chunks are taken by number from
    TICKETS_FD; (blocks, entries, multi-link files, numbers walked) leave on stdout."""
    device, skip, chunks = marshal.loads(read_all(0))
    totals = take_tickets(TICKETS_FD, chunks, device, set(skip))
    with os.fdopen(1, "wb") as out:
        out.write(marshal.dumps(totals))
