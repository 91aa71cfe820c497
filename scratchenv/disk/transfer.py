"""Move one tree to another place, possibly on another file system, without losing a byte.

The protocol, per file: copy to a temporary name in the destination directory (holes of
sparse files kept: SEEK_DATA/SEEK_HOLE), set mode and times, rename it into place (never
over a file: RENAME_NOREPLACE; when replacing, an atomic exchange checked afterwards);
once every file is copied, sync the destination file system, then check each copy (size
and mtime, or content) against the source as it is *now* and only then unlink the source.
So a process killed at any moment, even by SIGKILL, leaves every file complete on at least
one side, and a re-run finishes the job: files that are already at the destination and
match are only verified and unlinked, leftover temporary files are removed (their source
is always still there). Temporary names carry a token per run that migrate's journal
records: only those are ever taken for leftovers (a user's file that merely looks like one
is moved like any other). On one file system a copy is a hard link (no data written);
between file systems it is sendfile(2).

Merging into an existing destination: an identical file counts as copied only when it is
the same inode or its content hashes equal (same size and mtime prove nothing); an older
one is replaced; a newer one, or one that differs at the same mtime, is a conflict: both
are left in place and reported, as is a file that appears or changes at the destination
while moving (a job already writing there). Symlinks are copied as links, hard links
within the tree stay hard links, other special files (sockets, fifos) stay in the source.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import os
import secrets
import stat
import sys
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from scratchenv.errors import ScratchenvError
from scratchenv.fsutil import makedirs_private
from scratchenv.locations import user_named
from scratchenv.realpaths import is_mount_point, mount_points, nearest_existing

PART_PREFIX = ".scratchenv-part."
"""Temporary copies in the destination are named PART_PREFIX + token + "." + name; a re-run
deletes the leftovers of the tokens it is given (recorded by the run that made them)."""
step_hook: Callable[[str], None] | None = None
"""Called with "copy", "rename", "unlink" or "rmdir" each time a transfer passes that step:
the points where a test interrupts a run (tests/kill_at.py installs a SIGKILL here). None,
and never set, in scratchenv itself."""
_FULL = (errno.ENOSPC, errno.EDQUOT)
_AT_FDCWD, _RENAME_NOREPLACE, _RENAME_EXCHANGE = -100, 1, 2
_FS_ENCODING = sys.getfilesystemencoding()  # os.fsencode, without its per-call look-up
_SPECIAL = "not a file, directory or symlink"

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes, files) done since the last call."""


class _Changed(Exception):
    """The destination of an item changed since the survey (a job writing there already):
    the item is a conflict now, and the copy is dropped."""


def _renameat2() -> Callable[..., int] | None:
    """libc's renameat2(int, char *, int, char *, unsigned), or None when this libc has none.
    No argtypes: ints and bytes convert as they are, and checking them costs per file."""
    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None


class _Unkept(Exception):
    """The destination cannot hold what the source has besides its bytes (extended
    attributes, ACLs): the item stays in the source, said why."""


_ACL_NAMES = {"system.posix_acl_access": "ACL", "system.posix_acl_default": "default ACL"}


def _attr_names(names: Iterable[str]) -> str:
    return ", ".join(_ACL_NAMES.get(name, name) for name in sorted(names))


def xattrs(target: int | str) -> dict[str, bytes]:
    """Extended attributes of a file or directory (ACLs are system.posix_acl_*): the ones
    this process can read. Empty where the file system has none."""
    try:
        names = os.listxattr(target)
    except OSError as error:
        if error.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return {}
        raise
    found = {}
    for name in names:
        with contextlib.suppress(FileNotFoundError, OSError):
            found[name] = os.getxattr(target, name)
    return found


def _put_xattrs(target: int | str, attrs: dict[str, bytes]) -> None:
    """Give `target` these extended attributes, or raise _Unkept naming those it cannot hold."""
    refused = []
    for name, value in attrs.items():
        try:
            os.setxattr(target, name, value)
        except OSError:
            refused.append(name)
    if refused:
        raise _Unkept(f"the destination cannot keep its {_attr_names(refused)}: kept")


def _xattrs_differ(src: str, dst: str) -> str | None:
    """Why the copy's extended attributes are not the source's, or None."""
    mine = xattrs(src)
    if not mine:
        return None
    theirs = xattrs(dst)
    differ = [name for name, value in mine.items() if theirs.get(name) != value]
    if differ:
        return f"did not verify (its {_attr_names(differ)} differ at the destination): kept"
    return None


class DestinationFull(Exception):
    """The destination ran out of space (or quota) while copying `path`."""

    def __init__(self, path: str, error: OSError) -> None:
        super().__init__(f"{path}: {error.strerror}")
        self.path = path
        self.error = error


@dataclass(slots=True)
class Item:
    """A file or symlink to move; `rel` is relative to the tree ("" when the tree is a file)."""

    rel: str
    st: os.stat_result
    action: str
    """"copy" (absent at the destination), "replace" (older there), "there" (identical)."""
    link_to: str | None = None
    """rel of an earlier hard link to the same inode: link the copy to that one's."""
    there: tuple[int, int] | None = None
    """"replace": (inode, mtime) of the older file at the destination, the only one it
    may replace."""


@dataclass
class Survey:
    """What moving `source` to `dest` involves; read-only, so a dry run can show it."""

    source: str
    dest: str
    dirs: list[tuple[str, os.stat_result]] = field(default_factory=list)
    """Directories, parents first; "" is the top."""
    items: list[Item] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)
    """(rel, why): left where they are on purpose, whole (another user's files, mount
    points, what `stays` says must stay: environments, scratchenv's own install)."""
    partials: list[str] = field(default_factory=list)
    """Leftover temporary files at the destination (absolute paths)."""
    same_device: bool = False
    empty: bool = False
    """The source is an empty directory (moving it is creating it and removing the old)."""
    new_dirs: int = 0
    existing_dirs: set[str] = field(default_factory=set)
    """Directories (rel) already at the destination when surveyed."""
    source_touched: bool = False
    """An earlier, interrupted run got to removing sources: directory modes and times in
    the source are ours now (opened up, emptied), while those at the destination are right
    already, so they are kept (migrate knows this from its journal)."""
    total_bytes: int = 0
    """Apparent size of every item (files and links)."""
    copy_bytes: int = 0
    copy_files: int = 0
    """What is not at the destination yet."""
    copy_blocks: int = 0
    """4 KiB blocks the copies take (small files take a whole block; sparse files only
    their data, as the copy keeps the holes)."""

    def count(self) -> None:
        """Fill in the totals from the items."""
        total = size_sum = files = blocks = 0
        for item in self.items:
            st = item.st
            size = st.st_size
            total += size
            if item.action != "there":
                size_sum += size
                files += 1
                # A sparse file's copy keeps its holes: only its data takes room.
                data = (_data_bytes(join(self.source, item.rel), size)
                        if st.st_blocks * 512 < size and stat.S_ISREG(st.st_mode) else size)
                blocks += -(-data // 4096)
        self.total_bytes, self.copy_bytes, self.copy_files = total, size_sum, files
        self.copy_blocks = blocks

    def space_needed(self) -> tuple[int, int]:
        """(bytes, inodes) the destination needs: whole 4 KiB blocks per file and directory."""
        if self.same_device:
            return 0, 0
        return (self.copy_blocks + self.new_dirs) * 4096, self.copy_files + self.new_dirs


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


def join(base: str, rel: str) -> str:
    return f"{base}/{rel}" if rel else base


def new_token() -> str:
    """A token for this run's temporary names (record it before the first copy)."""
    return secrets.token_hex(8)


def part_name(path: str, token: str) -> str:
    """The temporary name a copy of `path` is written under, in the same directory."""
    cut = path.rfind("/") + 1
    name = path[cut:]
    if len(name) > 200:  # stay under NAME_MAX (255) with the prefix
        name = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{path[:cut]}{PART_PREFIX}{token}.{name}"


def _compare(src: os.stat_result, dst: os.stat_result, src_path: str, dst_path: str,
             keep_times: bool = True) -> str:
    """"there", "replace", or why it is a conflict. "there" only when proven: the same
    inode, or the same content (hashed); equal size and mtime alone are not proof."""
    if stat.S_ISREG(src.st_mode) and stat.S_ISREG(dst.st_mode):
        if (src.st_dev, src.st_ino) == (dst.st_dev, dst.st_ino):
            return "there"
        # Without kept times (a purge policy), a copy made by an earlier run is newer.
        if src.st_size == dst.st_size and (src.st_mtime_ns == dst.st_mtime_ns or not keep_times):
            try:
                if _same_content(src_path, dst_path):
                    return "there"
            except OSError as error:
                return f"conflict: cannot compare the contents ({error.strerror})"
            if src.st_mtime_ns == dst.st_mtime_ns:
                return "conflict: content differs at the destination (same size and time)"
        if dst.st_mtime_ns < src.st_mtime_ns:
            return "replace"
        if dst.st_mtime_ns == src.st_mtime_ns:
            return "conflict: same time, different size at the destination"
        return "conflict: newer at the destination"
    if stat.S_ISLNK(src.st_mode) and stat.S_ISLNK(dst.st_mode):
        if os.readlink(src_path) == os.readlink(dst_path):
            return "there"
        return "conflict: a different symlink at the destination"
    return "conflict: a different kind of file at the destination"


Stays = Callable[[str, str, os.stat_result, list[str]], "str | None"]
"""(directory, its destination, its stat, names in it) -> why that directory must stay
where it is, whole, or None."""



def _not_ours(st: os.stat_result, me: int) -> str | None:
    if st.st_uid == me:
        return None
    return f"owned by {user_named(st.st_uid, with_uid=False)}, not by you: never moved"


MOUNT_POINT = "a mount point (another file system or a bind mount): not crossed"


def survey(source: str, dest: str, keeps: Collection[str] = (), *,
           part_tokens: Collection[str] = (), keep_times: bool = True,
           stays: Stays | None = None) -> Survey:
    """Walk `source` (no symlink followed, `keeps` left out) against `dest`.

    `part_tokens`: those of earlier runs (their journal), whose temporary files at the
    destination are leftovers; `keep_times`: whether copies were given the source's times;
    `stays`: asked about each directory below the top. Another user's files and
    directories, and mount points, are never taken: they are `kept`."""
    result = Survey(source, dest)
    try:
        top = os.lstat(source)
    except FileNotFoundError:
        return result
    me = os.geteuid()
    mounts = mount_points()
    real_source = os.path.realpath(source)
    foreign = _not_ours(top, me)
    if foreign is None and stat.S_ISDIR(top.st_mode) and is_mount_point(source, mounts):
        foreign = MOUNT_POINT
    if foreign is not None:
        result.kept.append(("", foreign))
        return result
    result.same_device = top.st_dev == nearest_existing(dest).stat().st_dev
    leftover = tuple(f"{PART_PREFIX}{token}" for token in part_tokens)
    try:
        dest_top = os.lstat(dest)
    except FileNotFoundError:
        dest_top = None
    if not stat.S_ISDIR(top.st_mode):
        if not (stat.S_ISREG(top.st_mode) or stat.S_ISLNK(top.st_mode)):
            result.skipped.append(("", _SPECIAL))  # a fifo would block the copy forever
        elif dest_top is None:
            result.items.append(Item("", top, "copy"))
        else:
            action = _compare(top, dest_top, source, dest, keep_times)
            if action.startswith("conflict"):
                result.conflicts.append(("", action))
            else:
                result.items.append(Item("", top, action, there=_there(action, dest_top)))
        result.count()
        return result
    if dest_top is not None and not stat.S_ISDIR(dest_top.st_mode):
        result.conflicts.append(("", "conflict: the destination is not a directory"))
        return result
    keep_set = set(keeps)
    hard_links: dict[tuple[int, int], str] = {}
    # (rel, destination exists): children of a new directory are new, no lookups needed.
    stack: list[tuple[str, os.stat_result, bool]] = [("", top, dest_top is not None)]
    items, dirs = result.items, result.dirs
    while stack:
        rel, dir_st, dest_exists = stack.pop()
        src_dir = join(source, rel)
        entries: list[os.DirEntry[str]] | None = None
        try:
            with os.scandir(src_dir) as listing:
                entries = list(listing)
        except OSError as error:
            unreadable = error.strerror
        if entries is not None and rel and stays is not None:
            why = stays(src_dir, join(dest, rel), dir_st, [entry.name for entry in entries])
            if why is not None:
                result.kept.append((rel, why))
                continue
        dirs.append((rel, dir_st))
        prefix = f"{rel}/" if rel else ""
        existing: dict[str, os.DirEntry[str]] = {}
        if dest_exists:
            try:
                with os.scandir(join(dest, rel)) as listing:
                    for entry in listing:
                        if leftover and entry.name.startswith(leftover):
                            result.partials.append(entry.path)
                        else:
                            existing[entry.name] = entry
            except OSError as error:
                dirs.pop()
                result.conflicts.append((rel, f"destination unreadable: {error.strerror}"))
                continue
            result.existing_dirs.add(rel)
        else:
            result.new_dirs += 1
        if entries is None:
            result.skipped.append((rel, f"unreadable: {unreadable}"))
            continue
        if not rel:
            result.empty = not entries
        for entry in entries:
            if keep_set and entry.path in keep_set:
                continue
            child = prefix + entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # deleted since listed (a live cache): nothing to move
                continue
            if st.st_uid != me:
                result.kept.append((child, _not_ours(st, me) or ""))
                continue
            if st.st_dev != top.st_dev or f"{real_source}/{child}" in mounts:
                result.kept.append((child, MOUNT_POINT))
                continue
            there = existing.get(entry.name)
            mode = st.st_mode
            if stat.S_ISDIR(mode):
                if there is not None and not there.is_dir(follow_symlinks=False):
                    result.conflicts.append(
                        (child, "conflict: the destination is not a directory"))
                else:
                    stack.append((child, st, there is not None))
                continue
            if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
                result.skipped.append((child, _SPECIAL))
                continue
            action, there_st = "copy", None
            if there is not None:
                there_st = there.stat(follow_symlinks=False)
                action = _compare(st, there_st, entry.path, there.path, keep_times)
                if action.startswith("conflict"):
                    result.conflicts.append((child, action))
                    continue
            item = Item(child, st, action, there=_there(action, there_st))
            if st.st_nlink > 1 and stat.S_ISREG(mode):
                key = (st.st_dev, st.st_ino)
                item.link_to = hard_links.setdefault(key, child)
                if item.link_to == child:
                    item.link_to = None
            items.append(item)
    result.count()
    return result


def _there(action: str, st: os.stat_result | None) -> tuple[int, int] | None:
    return (st.st_ino, st.st_mtime_ns) if action == "replace" and st is not None else None


def _make_writable(directory: str) -> int:
    """Let us write into `directory`: caches keep read-only ones (Go's module cache does).
    Returns its mode before."""
    mode = stat.S_IMODE(os.lstat(directory).st_mode)
    os.chmod(directory, mode | stat.S_IRWXU)
    return mode


def _sync(path: str) -> None:
    """Flush the file system holding `path` (syncfs), so no source goes before its copy."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.syncfs(fd) != 0:
            os.sync()
    except (OSError, AttributeError):
        os.sync()
    finally:
        os.close(fd)


def _same_inode(st: os.stat_result, path: str) -> bool:
    try:
        there = os.lstat(path)
    except OSError:
        return False
    return (there.st_dev, there.st_ino) == (st.st_dev, st.st_ino)


def _same_content(a: str, b: str) -> bool:
    with open(a, "rb") as first, open(b, "rb") as second:
        return (hashlib.file_digest(first, "blake2b").digest()
                == hashlib.file_digest(second, "blake2b").digest())


def before_replacing() -> None:
    """Called right before a file at the destination is replaced (tests race a job here)."""


def _send(source: int, target: int, offset: int, end: int) -> None:
    """Copy bytes [offset, end) of `source` to `target`'s current position."""
    while offset < end:
        sent = os.sendfile(target, source, offset, end - offset)
        if sent == 0:
            break
        offset += sent


def _data_bytes(path: str, size: int) -> int:
    """Bytes in the data extents of a file (SEEK_DATA/SEEK_HOLE), each rounded up to 4 KiB
    blocks; `size` when the file system cannot say (or the file is gone)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return size
    total = offset = 0
    try:
        while offset < size:
            try:
                data = os.lseek(fd, offset, os.SEEK_DATA)
            except OSError as error:
                if error.errno == errno.ENXIO:  # only a hole is left
                    break
                return size
            hole = os.lseek(fd, data, os.SEEK_HOLE)
            total += -(-(hole - data) // 4096) * 4096
            offset = hole
    except OSError:
        return size
    finally:
        os.close(fd)
    return total


def _copy_sparse(source: int, target: int, size: int) -> None:
    """Copy only the data extents (SEEK_DATA/SEEK_HOLE), leaving the holes holes."""
    offset = 0
    while offset < size:
        try:
            data = os.lseek(source, offset, os.SEEK_DATA)
        except OSError as error:
            if error.errno != errno.ENXIO:  # ENXIO: only a hole is left
                raise
            break
        hole = os.lseek(source, data, os.SEEK_HOLE)
        os.lseek(target, data, os.SEEK_SET)
        _send(source, target, data, hole)
        offset = hole
    os.ftruncate(target, size)


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
        self._rename_new = _renameat2()
        """renameat2 while the destination file system takes RENAME_NOREPLACE."""
        self._keep_dirs: set[str] = set()
        """Source directories (rel) whose extended attributes the destination cannot hold."""

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
        copied = self._copy_all()
        self._set_dir_times()
        _sync(plan.dest if plan.dirs else os.path.dirname(plan.dest))
        if before_removing is not None:
            before_removing()
        self._remove_sources(copied, verified)
        return self.outcome

    # Phase 1: copies.

    def _copy_all(self) -> list[Item]:
        plan, outcome, progress = self.plan, self.outcome, self.progress
        for rel, _ in plan.dirs:
            path = join(plan.dest, rel)
            try:
                os.mkdir(path, 0o700)
                if not plan.same_device:
                    self._dir_xattrs(rel, path)
            except FileExistsError:
                if not os.access(path, os.W_OK | os.X_OK):  # made read-only by a killed run
                    self._opened[path] = _make_writable(path)
            except OSError as error:
                if error.errno in _FULL:
                    raise DestinationFull(path, error) from None
                raise ScratchenvError(f"cannot create {path}: {error.strerror}; nothing was "
                                      "removed from home") from None
        copied = []
        failed = set()
        source, dest = plan.source, plan.dest
        for item in plan.items:
            if item.action == "there":
                copied.append(item)
                continue
            rel = item.rel
            if item.link_to is not None and item.link_to in failed:
                item.link_to = None
            try:
                self._copy(f"{source}/{rel}" if rel else source,
                           f"{dest}/{rel}" if rel else dest, item)
            except _Changed as why:
                failed.add(rel)
                outcome.conflicts.append((rel, str(why)))
                continue
            except _Unkept as why:
                failed.add(rel)
                outcome.failed.append((rel, str(why)))
                continue
            except OSError as error:
                if error.errno in _FULL:
                    raise DestinationFull(join(source, rel), error) from None
                failed.add(rel)
                outcome.failed.append((rel, f"not copied: {error.strerror}"))
                continue
            copied.append(item)
            if progress is not None:
                progress(item.st.st_size, 1)
        return copied

    def _dir_xattrs(self, rel: str, path: str) -> None:
        """A new directory gets its source's extended attributes and ACLs (default ACLs
        included); where it cannot, the source directory is kept and said so."""
        attrs = xattrs(join(self.plan.source, rel))
        if not attrs:
            return
        try:
            _put_xattrs(path, attrs)
        except _Unkept as why:
            self._keep_dirs.add(rel)
            self.outcome.failed.append((rel, f"directory: {why}"))

    def _copy(self, src: str, dst: str, item: Item) -> None:
        tmp = part_name(dst, self.token)
        st = item.st
        try:
            if item.link_to is None and not self._linked and stat.S_ISREG(st.st_mode):
                self._copy_data(src, tmp, st)
            elif stat.S_ISLNK(st.st_mode):
                os.symlink(os.readlink(src), tmp)
                self._own(tmp, st, follow=False)
                if self.keep_times:
                    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
            elif item.link_to is not None:
                os.link(join(self.plan.dest, item.link_to), tmp)
            elif not self._hard_link(src, tmp):
                self._copy_data(src, tmp, st)
            elif not self.keep_times:
                os.utime(tmp)  # the same inode: now it is new to the purge too
            if self._kill is not None:
                self._kill("copy")
            self._put(tmp, dst, item)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        if self._kill is not None:
            self._kill("rename")

    def _put(self, tmp: str, dst: str, item: Item) -> None:
        """Rename the finished copy into place, never over a file that appeared or changed
        at the destination since the survey (newer files are never overwritten)."""
        if item.action == "replace" and self._replace(tmp, dst, item):
            return
        rename_new = self._rename_new
        if rename_new is not None:  # atomic: fails instead of replacing
            if rename_new(_AT_FDCWD, tmp.encode(_FS_ENCODING, "surrogateescape"), _AT_FDCWD,
                          dst.encode(_FS_ENCODING, "surrogateescape"), _RENAME_NOREPLACE) == 0:
                return
            code = ctypes.get_errno()
            if code == errno.EEXIST:
                raise _Changed("conflict: appeared at the destination while moving")
            if code not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                raise OSError(code, os.strerror(code), dst)
            self._rename_new = None  # this file system cannot: check, then rename
        if os.path.lexists(dst):
            raise _Changed("conflict: appeared at the destination while moving")
        os.rename(tmp, dst)

    def _replace(self, tmp: str, dst: str, item: Item) -> bool:
        """Swap the copy with the older file at `dst` in one step (RENAME_EXCHANGE), then
        look at what came out: the file surveyed goes; anything else (a job wrote there
        meanwhile) is swapped back and the item is a conflict. Nothing is ever overwritten.
        False when `dst` is gone now (then it is put like a new file)."""
        rename = self._rename_new
        before_replacing()
        if rename is None or rename(_AT_FDCWD, tmp.encode(_FS_ENCODING, "surrogateescape"),
                                    _AT_FDCWD, dst.encode(_FS_ENCODING, "surrogateescape"),
                                    _RENAME_EXCHANGE) != 0:
            code = ctypes.get_errno() if rename is not None else errno.ENOSYS
            if code == errno.ENOENT:
                return False
            if code not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                raise OSError(code, os.strerror(code), dst)
            return self._replace_aside(tmp, dst, item)
        out = os.lstat(tmp)
        if stat.S_ISREG(out.st_mode) and (out.st_ino, out.st_mtime_ns) == item.there:
            os.unlink(tmp)
            return True
        rename(_AT_FDCWD, tmp.encode(_FS_ENCODING, "surrogateescape"), _AT_FDCWD,
               dst.encode(_FS_ENCODING, "surrogateescape"), _RENAME_EXCHANGE)
        raise _Changed("conflict: changed at the destination while moving")

    def _replace_aside(self, tmp: str, dst: str, item: Item) -> bool:
        """Where renameat2 cannot exchange: move the old file aside by a hard link under
        this run's temporary name, check it is the one surveyed, then put the copy."""
        aside = part_name(dst, self.token + "-old")
        try:
            os.link(dst, aside)
        except FileNotFoundError:
            return False
        there = os.lstat(aside)
        if (there.st_ino, there.st_mtime_ns) != item.there:
            os.unlink(aside)
            raise _Changed("conflict: changed at the destination while moving")
        os.unlink(dst)
        os.unlink(aside)
        return False  # put like a new file: fails rather than replaces what appears now

    def _hard_link(self, src: str, tmp: str) -> bool:
        """Same file system: the copy is a new name for the same inode (no data written)."""
        try:
            os.link(src, tmp)
        except FileExistsError:
            os.unlink(tmp)
            os.link(src, tmp)
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                raise
            self._linked = error.errno != errno.EXDEV  # a bind mount: copy from now on
            return False
        return True

    def _copy_data(self, src: str, tmp: str, st: os.stat_result) -> None:
        source = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
            mode = stat.S_IMODE(st.st_mode)
            # Created with its final mode when the umask leaves it whole: a chmod less per file.
            exact = not (mode & (self._umask | 0o7000))
            target = os.open(tmp, flags, mode if exact else 0o600)
            try:
                if st.st_blocks * 512 < st.st_size:
                    _copy_sparse(source, target, st.st_size)
                else:
                    _send(source, target, 0, st.st_size)
                if (st.st_uid, st.st_gid) != self._owner:
                    self._own(target, st)  # first: chown drops security.capability
                attrs = xattrs(source)
                if attrs:
                    _put_xattrs(target, attrs)
                if not exact:
                    os.fchmod(target, mode)
                if self.keep_times:
                    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
            finally:
                os.close(target)
        finally:
            os.close(source)

    def _own(self, target: int | str, st: os.stat_result, *, follow: bool = True) -> None:
        if (st.st_uid, st.st_gid) != self._owner:
            with contextlib.suppress(PermissionError):
                if isinstance(target, int):
                    os.fchown(target, st.st_uid, st.st_gid)
                else:
                    os.chown(target, st.st_uid, st.st_gid, follow_symlinks=follow)

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

    def _remove_sources(self, copied: list[Item], verified: ProgressCallback | None) -> None:
        try:
            self._verify_and_unlink(copied, verified)
        finally:
            # Deepest first: putting back a parent's mode may shut us out of its children.
            for path in sorted(self._opened_sources, key=lambda p: p.count("/"), reverse=True):
                with contextlib.suppress(FileNotFoundError):
                    os.chmod(path, self._opened_sources[path])

    def _open_source_dir(self, directory: str) -> None:
        self._opened_sources.setdefault(directory, _make_writable(directory))

    def _unlink(self, path: str) -> str | None:
        """Remove a verified source (opening up a read-only directory); else say why not."""
        try:
            try:
                os.unlink(path)
            except PermissionError:
                self._open_source_dir(os.path.dirname(path))
                os.unlink(path)
        except OSError as error:
            return f"copied, but not removed: {error.strerror}"
        return None

    def _rmdir(self, path: str) -> None:
        try:
            os.rmdir(path)
        except PermissionError:
            self._open_source_dir(os.path.dirname(path))
            os.rmdir(path)

    def _verify_and_unlink(self, copied: list[Item], verified: ProgressCallback | None) -> None:
        plan, outcome = self.plan, self.outcome
        source, dest = plan.source, plan.dest
        by_hash = self.verify == "hash"
        kill = self._kill
        times = self.keep_times
        for item in copied:
            rel = item.rel
            src = f"{source}/{rel}" if rel else source
            dst = f"{dest}/{rel}" if rel else dest
            try:
                now = os.lstat(src)
            except FileNotFoundError:
                continue
            st = item.st
            # A different inode: replaced meanwhile (tools write a temp file and rename it),
            # perhaps with the same size and mtime; the copy is of the file it replaced.
            # Without kept times a hard-linked copy's new mtime is the source's too: ours.
            if (now.st_size != st.st_size or now.st_ino != st.st_ino
                    or (now.st_mtime_ns != st.st_mtime_ns
                        and (times or not _same_inode(now, dst)))):
                outcome.failed.append((rel, "changed while moving: kept, re-run"))
                continue
            if by_hash or not stat.S_ISREG(now.st_mode):
                problem = self._check(src, dst, now, by_hash, times)
            else:  # the common case, inline: size and mtime of the copy
                try:
                    there = os.lstat(dst)
                    same = (there.st_size == st.st_size and stat.S_ISREG(there.st_mode)
                            and (there.st_mtime_ns == st.st_mtime_ns or not times))
                except FileNotFoundError:
                    same = False
                problem = None if same else self._check(src, dst, now, by_hash, times)
            if not (problem or plan.same_device) and stat.S_ISREG(now.st_mode):
                problem = _xattrs_differ(src, dst)
            if problem:
                outcome.failed.append((rel, problem))
                continue
            problem = self._unlink(src)
            if problem:
                outcome.failed.append((rel, problem))
                continue
            if kill is not None:
                kill("unlink")
            outcome.moved += 1
            outcome.moved_bytes += st.st_size
            if verified is not None:
                verified(st.st_size, 1)
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

    @staticmethod
    def _check(src: str, dst: str, now: os.stat_result, by_hash: bool,
               times: bool = True) -> str | None:
        """Why the copy at `dst` is not good enough to unlink `src`, or None."""
        try:
            there = os.lstat(dst)
        except FileNotFoundError:
            return "copy missing at the destination: kept, re-run"
        if stat.S_ISLNK(now.st_mode):
            same = stat.S_ISLNK(there.st_mode) and os.readlink(src) == os.readlink(dst)
            return None if same else "did not verify (symlink differs): kept"
        if there.st_size != now.st_size or (times and there.st_mtime_ns != now.st_mtime_ns):
            return "did not verify (size or mtime differs): kept"
        if by_hash and not _same_content(src, dst):
            return "did not verify (content differs): kept"
        return None
