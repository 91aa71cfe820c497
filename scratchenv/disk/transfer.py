"""Move one tree to another place, possibly on another file system, without losing a byte.

The protocol, per file: copy to a temporary name in the destination directory (holes of
sparse files kept: SEEK_DATA/SEEK_HOLE), set mode and times, rename it into place (never
over a file: RENAME_NOREPLACE; when replacing, an atomic exchange checked afterwards);
once every file is copied, sync the destination file system, then check each copy (size
and mtime, or content) against the source as it is *now* and only then unlink the source.
So a process killed at any moment, even by SIGKILL, leaves every file complete on at least
one side, and a re-run finishes the job: files that are already at the destination and
match are only verified and unlinked, leftover temporary files are removed (their source
is always still there). Temporary names carry a token per run that its journal
(journal.py) records: only those are ever taken for leftovers (a user's file that merely
looks like one is moved like any other). On one file system a copy is a hard link (no data
written); between file systems it is sendfile(2).

Merging into an existing destination: an identical file counts as copied only when it is
the same inode or its content hashes equal (same size and mtime prove nothing); an older
one is replaced; a newer one, or one that differs at the same mtime, is a conflict: both
are left in place and reported, as is a file that appears or changes at the destination
while moving (a job already writing there). Symlinks are copied as links, hard links
within the tree stay hard links, other special files (sockets, fifos) stay in the source.

Speed: each directory's files are copied, checked and unlinked relative to its open file
descriptors (a path lookup per directory, not per file and call), and a large tree's copies,
and then its checks, are shared out to worker processes a directory at a time (workers.py);
the phases stay apart (all copied and synced before the first check), and so does every
file's protocol.

The jobs, one file each: what a move involves (survey.py), the copy primitives
(copying.py), putting a copy into place without overwriting (placing.py), sharing work out
(workers.py), and here the run itself: copy, sync, verify, unlink.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from scratchenv.disk.copying import (
    Unkept,
    copy_problem,
    copy_sparse,
    make_writable,
    new_token,
    part_name,
    put_xattrs,
    same_inode,
    send,
    sync_fs,
    xattrs,
    xattrs_differ,
)
from scratchenv.disk.placing import Changed, Placer
from scratchenv.disk.survey import Item, Survey, join
from scratchenv.disk.usage import usable_cores
from scratchenv.disk.workers import shared, split
from scratchenv.errors import ScratchenvError
from scratchenv.fsutil import makedirs_private

step_hook: Callable[[str], None] | None = None
"""Called with "copy", "rename", "unlink" or "rmdir" each time a transfer passes that step:
the points where a test interrupts a run (tests/kill_at.py installs a SIGKILL here). None,
and never set, in scratchenv itself."""
_FULL = (errno.ENOSPC, errno.EDQUOT)

SHARED_FROM = 2_000
"""Items from which the copies and the checks are shared out to WORKERS processes (fewer
are done sooner than the workers are forked)."""
WORKERS = 2
PART_FILES = 64
"""Items a part holds at least (whole directories; 1/128 of them all when that is more)."""

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes, files) done since the last call."""

_COPIED, _BARE, _THERE, _CONFLICT, _FAILED = 1, 2, 3, 4, 5
"""What became of an item in the copy phase: copied; copied, its source having no extended
attributes; there already (only verified); a conflict; failed (0: nothing yet)."""
Whys = dict[int, tuple[int, str]]
"""Items (by index) that were not copied: (_CONFLICT or _FAILED, why)."""


class DestinationFull(Exception):
    """The destination ran out of space (or quota) while copying `path`."""

    def __init__(self, path: str, error: OSError) -> None:
        super().__init__(f"{path}: {error.strerror}")
        self.path = path
        self.error = error

    def __reduce__(self) -> tuple[type, tuple[str, OSError]]:
        return DestinationFull, (self.path, self.error)  # raised again from a worker


@dataclass
class TransferOutcome:
    """What a transfer did; the source top is gone when `finished`."""

    moved: int = 0
    moved_bytes: int = 0
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(rel, why): left in the source (unreadable, changed while moving, did not verify)."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    finished: bool = False


Where = tuple["int | None", "int | None", str, str]
"""An item's (source directory fd, destination directory fd, source name, destination name);
fds None and names whole paths where its directories could not be opened (or it is the top)."""

Result = TypeVar("Result")
_DIR_FLAGS = getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY | os.O_CLOEXEC


class _Dirs:
    """The source and destination directory of the items at hand, kept open: a survey lists
    a directory's items together, so each directory is looked up once, not per file and call."""

    def __init__(self, source: str, dest: str) -> None:
        self.source, self.dest = source, dest
        self.parent: str | None = None
        self.fds: tuple[int | None, int | None] = (None, None)

    def at(self, rel: str) -> Where:
        parent, _, name = rel.rpartition("/")
        if parent != self.parent:
            self.close()
            self.parent = parent
            self.fds = self._open(parent) if rel else (None, None)
        at_source, at = self.fds
        if at is None:
            return None, None, join(self.source, rel), join(self.dest, rel)
        return at_source, at, name, name

    def _open(self, parent: str) -> tuple[int | None, int | None]:
        try:
            at_source = os.open(join(self.source, parent), _DIR_FLAGS)
        except OSError:
            return None, None  # each item then meets the error on its own, by its path
        try:
            return at_source, os.open(join(self.dest, parent), _DIR_FLAGS)
        except OSError:
            os.close(at_source)
            return None, None

    def close(self) -> None:
        for fd in self.fds:
            if fd is not None:
                os.close(fd)
        self.fds = (None, None)
        self.parent = None


class Transfer:
    """Carry out a Survey: copy, sync, verify, unlink (see the module docstring)."""

    def __init__(self, plan: Survey, *, verify: str = "size",
                 progress: ProgressCallback | None = None, token: str | None = None,
                 keep_times: bool = True) -> None:
        self.plan = plan
        self.verify = verify
        self.token = token or new_token()
        """Names this run's temporary files: record it (migrate's journal) before run()."""
        self.keep_times = keep_times
        """False: copies get the current time (a purge policy must see them as new)."""
        self.progress = progress
        self.outcome = TransferOutcome(conflicts=list(plan.conflicts), skipped=list(plan.skipped))
        self._kill = step_hook
        self._owner = (os.geteuid(), os.getegid())
        self._linked = plan.same_device
        umask = os.umask(0o077)
        os.umask(umask)
        self._umask = umask
        self._opened: dict[str, int] = {}
        """Destination directories made writable for this run, with their modes."""
        self._opened_sources: dict[str, int] = {}
        """Source directories (and the source's parent) made writable to remove from, with
        their modes: put back on those that stay."""
        self._placer = Placer(self.token)
        self._keep_dirs: set[str] = set()
        """Source directories (rel) whose extended attributes the destination cannot hold."""
        self._done = b""
        """What became of each item in the copy phase (_COPIED ...), by its index."""

    def run(self, verified: ProgressCallback | None = None,
            before_removing: Callable[[], None] | None = None) -> TransferOutcome:
        """Copy everything, then verify and unlink; DestinationFull leaves the source whole.

        `before_removing` is called once everything is copied and synced, before the first
        source is touched."""
        plan = self.plan
        for path in plan.partials:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        makedirs_private(os.path.dirname(plan.dest))
        self._make_dirs()
        self._done = self._copy_all()
        self._set_dir_times()
        sync_fs(plan.dest if plan.dirs else os.path.dirname(plan.dest))
        if before_removing is not None:
            before_removing()
        self._remove_sources(verified)
        return self.outcome

    def _shared(self, job: Callable[[Sequence[int]], Result],
                indices: list[int]) -> Iterator[tuple[list[int], Result]]:
        """(part, job(part)) for parts of `indices` (of plan items), a directory or more
        each; in worker processes (workers.py) when there are many."""
        items = self.plan.items
        keys = [items[i].rel.rpartition("/")[0] for i in indices]
        many = len(indices) >= SHARED_FROM and usable_cores() > 1
        parts = split(keys, max(PART_FILES, len(indices) // 128))
        for part, result in shared(lambda part: (part, job(indices[part.start:part.stop])),
                                   parts, WORKERS if many else 1):
            yield indices[part.start:part.stop], result

    # Phase 1: copies.

    def _make_dirs(self) -> None:
        plan = self.plan
        for rel, _ in plan.dirs:
            path = join(plan.dest, rel)
            try:
                os.mkdir(path, 0o700)
                if not plan.same_device:
                    self._dir_xattrs(rel, path)
            except FileExistsError:
                if not os.access(path, os.W_OK | os.X_OK):  # made read-only by a killed run
                    self._opened[path] = make_writable(path)
            except OSError as error:
                if error.errno in _FULL:
                    raise DestinationFull(path, error) from None
                raise ScratchenvError(f"cannot create {path}: {error.strerror}; nothing was "
                                      "removed from home") from None

    def _dir_xattrs(self, rel: str, path: str) -> None:
        """A new directory gets its source's extended attributes and ACLs (default ACLs
        included); where it cannot, the source directory is kept and said so."""
        attrs = xattrs(join(self.plan.source, rel))
        if not attrs:
            return
        try:
            put_xattrs(path, attrs)
        except Unkept as why:
            self._keep_dirs.add(rel)
            self.outcome.failed.append((rel, f"directory: {why}"))

    def _copy_all(self) -> bytes:
        """Copy every item into place, hard links last (each to the copy of its first name,
        made by then): what became of each item (_COPIED ...), by its index."""
        items, outcome = self.plan.items, self.outcome
        done = bytearray(len(items))
        whys: Whys = {}
        work: list[int] = []
        links: list[int] = []
        for index, item in enumerate(items):
            if item.action == "there":
                done[index] = _THERE
            else:
                (work if item.link_to is None else links).append(index)
        for part, (codes, found) in self._shared(self._copy_some, work):
            self._merge(part, codes, found, done, whys)
        failed = {items[index].rel for index in whys}
        for index in links:
            if items[index].link_to in failed:
                items[index].link_to = None
        self._merge(links, *self._copy_some(links), done, whys)
        for index in sorted(whys):
            kind, why = whys[index]
            (outcome.conflicts if kind == _CONFLICT else outcome.failed).append(
                (items[index].rel, why))
        return bytes(done)

    def _merge(self, part: list[int], codes: bytes, found: Whys, done: bytearray,
               whys: Whys) -> None:
        items, progress = self.plan.items, self.progress
        for index, code in zip(part, codes, strict=True):
            done[index] = code
        whys.update(found)
        if progress is not None:
            sizes = [items[i].st.st_size for i, code in zip(part, codes, strict=True)
                     if code in (_COPIED, _BARE)]
            progress(sum(sizes), len(sizes))

    def _copy_some(self, indices: Sequence[int]) -> tuple[bytes, Whys]:
        """Copy these items: a code for each (_COPIED ...), and why those not copied were not."""
        items, source = self.plan.items, self.plan.source
        codes = bytearray(len(indices))
        whys: Whys = {}
        dirs = _Dirs(source, self.plan.dest)
        try:
            for k, index in enumerate(indices):
                item = items[index]
                try:
                    codes[k] = _BARE if self._copy(dirs.at(item.rel), item) else _COPIED
                except Changed as why:
                    codes[k], whys[index] = _CONFLICT, (_CONFLICT, str(why))
                except Unkept as why:
                    codes[k], whys[index] = _FAILED, (_FAILED, str(why))
                except OSError as error:
                    if error.errno in _FULL:
                        raise DestinationFull(join(source, item.rel), error) from None
                    codes[k] = _FAILED
                    whys[index] = (_FAILED, f"not copied: {error.strerror}")
        finally:
            dirs.close()
        return bytes(codes), whys

    def _copy(self, where: Where, item: Item) -> bool:
        """Put a copy of `item` in place; True when its source had no extended attributes."""
        at_source, at, name, dname = where
        tmp = part_name(dname, self.token)
        st = item.st
        bare = False
        try:
            if item.link_to is None and not self._linked and stat.S_ISREG(st.st_mode):
                bare = self._copy_data(at_source, name, at, tmp, st)
            elif stat.S_ISLNK(st.st_mode):
                os.symlink(os.readlink(name, dir_fd=at_source), tmp, dir_fd=at)
                if (st.st_uid, st.st_gid) != self._owner:
                    with contextlib.suppress(PermissionError):
                        os.chown(tmp, st.st_uid, st.st_gid, dir_fd=at, follow_symlinks=False)
                if self.keep_times:
                    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns), dir_fd=at,
                             follow_symlinks=False)
            elif item.link_to is not None:
                os.link(join(self.plan.dest, item.link_to), tmp, dst_dir_fd=at)
            elif not self._hard_link(at_source, name, at, tmp):
                bare = self._copy_data(at_source, name, at, tmp, st)
            elif not self.keep_times:
                os.utime(tmp, dir_fd=at)  # the same inode: now it is new to the purge too
            if self._kill is not None:
                self._kill("copy")
            self._placer.put(at, tmp, dname, item)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=at)
            raise
        if self._kill is not None:
            self._kill("rename")
        return bare

    def _hard_link(self, at_source: int | None, name: str, at: int | None, tmp: str) -> bool:
        """Same file system: the copy is a new name for the same inode (no data written)."""
        try:
            os.link(name, tmp, src_dir_fd=at_source, dst_dir_fd=at)
        except FileExistsError:
            os.unlink(tmp, dir_fd=at)
            os.link(name, tmp, src_dir_fd=at_source, dst_dir_fd=at)
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                raise
            self._linked = error.errno != errno.EXDEV  # a bind mount: copy from now on
            return False
        return True

    def _copy_data(self, at_source: int | None, name: str, at: int | None, tmp: str,
                   st: os.stat_result) -> bool:
        """Copy a file's bytes, owner, extended attributes, mode and times to `tmp`; True
        when it has no extended attributes."""
        source = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=at_source)
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
            mode = stat.S_IMODE(st.st_mode)
            # Created with its final mode when the umask leaves it whole: a chmod less per file.
            exact = not (mode & (self._umask | 0o7000))
            target = os.open(tmp, flags, mode if exact else 0o600, dir_fd=at)
            try:
                if st.st_blocks * 512 < st.st_size:
                    copy_sparse(source, target, st.st_size)
                else:
                    send(source, target, 0, st.st_size)
                if (st.st_uid, st.st_gid) != self._owner:
                    with contextlib.suppress(PermissionError):  # first: it drops capabilities
                        os.fchown(target, st.st_uid, st.st_gid)
                attrs = xattrs(source)
                if attrs:
                    put_xattrs(target, attrs)
                if not exact:
                    os.fchmod(target, mode)
                if self.keep_times:
                    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
            finally:
                os.close(target)
        finally:
            os.close(source)
        return not attrs

    def _set_dir_times(self) -> None:
        """Sub-directories get the source's mode and times (children first: writing into a
        directory changes its mtime). The top keeps its own mode: 0700 when we made it."""
        plan = self.plan
        for rel, st in reversed(plan.dirs):
            if not rel:
                continue
            path = join(plan.dest, rel)
            with contextlib.suppress(FileNotFoundError):
                if plan.source_touched and rel in plan.existing_dirs:
                    if path in self._opened:
                        os.chmod(path, self._opened[path])
                    continue
                os.chmod(path, stat.S_IMODE(st.st_mode))
                if self.keep_times:
                    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))

    # Phase 2: verify, then unlink the sources.

    def _remove_sources(self, verified: ProgressCallback | None) -> None:
        outcome, items, done = self.outcome, self.plan.items, self._done
        try:
            failed: dict[int, str] = {}
            copied = [index for index, code in enumerate(done) if _COPIED <= code <= _THERE]
            for _, (moved, moved_bytes, found) in self._shared(self._check_some, copied):
                outcome.moved += moved
                outcome.moved_bytes += moved_bytes
                failed.update(found)
                if verified is not None and moved:
                    verified(moved_bytes, moved)
            outcome.failed += [(items[index].rel, failed[index]) for index in sorted(failed)]
            self._remove_dirs()
        finally:
            # Deepest first: putting back a parent's mode may shut us out of its children.
            for path in sorted(self._opened_sources, key=lambda p: p.count("/"), reverse=True):
                with contextlib.suppress(FileNotFoundError):
                    os.chmod(path, self._opened_sources[path])

    def _open_source_dir(self, directory: str, opened: dict[str, int] | None = None) -> None:
        opened = self._opened_sources if opened is None else opened
        opened.setdefault(directory, make_writable(directory))

    def _unlink(self, at: int | None, name: str, rel: str,
                opened: dict[str, int]) -> str | None:
        """Remove a verified source (opening up a read-only directory); else say why not."""
        try:
            try:
                os.unlink(name, dir_fd=at)
            except PermissionError:
                self._open_source_dir(os.path.dirname(join(self.plan.source, rel)), opened)
                os.unlink(name, dir_fd=at)
        except OSError as error:
            return f"copied, but not removed: {error.strerror}"
        return None

    def _rmdir(self, path: str) -> None:
        try:
            os.rmdir(path)
        except PermissionError:
            self._open_source_dir(os.path.dirname(path))
            os.rmdir(path)

    def _check_some(self, indices: Sequence[int]) -> tuple[int, int, dict[int, str]]:
        """Verify these items' copies and unlink their sources: (files moved, their bytes,
        why each of the others stays, by index). Directories opened up are put back."""
        plan, done = self.plan, self._done
        items, source, dest = plan.items, plan.source, plan.dest
        moved = moved_bytes = 0
        failed: dict[int, str] = {}
        opened: dict[str, int] = {}
        by_hash = self.verify == "hash"
        kill = self._kill
        times = self.keep_times
        dirs = _Dirs(source, dest)
        try:
            for index in indices:
                item = items[index]
                rel = item.rel
                at_source, at, name, dname = dirs.at(rel)
                try:
                    now = os.stat(name, dir_fd=at_source, follow_symlinks=False)
                except FileNotFoundError:
                    continue
                st = item.st
                # A different inode: replaced meanwhile (tools write a temp file and rename
                # it), perhaps with the same size and mtime; the copy is of the file it
                # replaced. Without kept times a hard-linked copy's new mtime is the
                # source's too: ours.
                if (now.st_size != st.st_size or now.st_ino != st.st_ino
                        or (now.st_mtime_ns != st.st_mtime_ns
                            and (times or not same_inode(now, join(dest, rel))))):
                    failed[index] = "changed while moving: kept, re-run"
                    continue
                if by_hash or not stat.S_ISREG(now.st_mode):
                    problem = copy_problem(join(source, rel), join(dest, rel), now, by_hash,
                                           times)
                else:  # the common case, inline: size and mtime of the copy
                    try:
                        there = os.stat(dname, dir_fd=at, follow_symlinks=False)
                        same = (there.st_size == st.st_size and stat.S_ISREG(there.st_mode)
                                and (there.st_mtime_ns == st.st_mtime_ns or not times))
                    except FileNotFoundError:
                        same = False
                    problem = None if same else copy_problem(
                        join(source, rel), join(dest, rel), now, by_hash, times)
                # A source with no extended attributes when copied has none now while its
                # ctime is the surveyed one (setting one changes it): no need to list again.
                if (not (problem or plan.same_device) and stat.S_ISREG(now.st_mode)
                        and not (done[index] == _BARE and now.st_ctime_ns == st.st_ctime_ns)):
                    problem = xattrs_differ(join(source, rel), join(dest, rel))
                if problem:
                    failed[index] = problem
                    continue
                problem = self._unlink(at_source, name, rel, opened)
                if problem:
                    failed[index] = problem
                    continue
                if kill is not None:
                    kill("unlink")
                moved += 1
                moved_bytes += st.st_size
        finally:
            dirs.close()
            for path, mode in opened.items():
                with contextlib.suppress(FileNotFoundError):
                    os.chmod(path, mode)
        return moved, moved_bytes, failed

    def _remove_dirs(self) -> None:
        plan, outcome, kill = self.plan, self.outcome, self._kill
        source = plan.source
        for rel, _ in reversed(plan.dirs):
            if rel in self._keep_dirs:
                continue
            path = join(source, rel)
            try:
                self._rmdir(path)
            except OSError as error:
                if error.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
                    outcome.failed.append((rel, f"emptied, but not removed: {error.strerror}"))
                continue
            if kill is not None:
                kill("rmdir")
        outcome.finished = not os.path.lexists(source)
