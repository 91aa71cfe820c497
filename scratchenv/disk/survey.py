"""What moving one tree involves, read-only (so a dry run can show it): the items to copy,
replace or only verify, the conflicts with what is at the destination already, what stays
in the source on purpose (another user's files, mount points, what `stays` says), and the
leftovers of earlier, killed runs (see transfer.py for the protocol).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from scratchenv.disk.copying import PART_PREFIX, data_bytes, same_content
from scratchenv.disk.walker import subtrees
from scratchenv.locations import user_named
from scratchenv.realpaths import is_mount_point, mount_points, nearest_existing

SPECIAL = "not a file, directory or symlink"


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
    home_bytes: int | None = None
    """With `sized`: the space the whole source takes, what stays included, counted as
    usage.scan (`du -sx`) counts it: allocated blocks, a hard-linked file once, no other
    file system's directories. Counted in the same walk (what stays is walked for it);
    None when not asked for or the source is kept whole."""

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
                data = (data_bytes(join(self.source, item.rel), size)
                        if st.st_blocks * 512 < size and stat.S_ISREG(st.st_mode) else size)
                blocks += -(-data // 4096)
        self.total_bytes, self.copy_bytes, self.copy_files = total, size_sum, files
        self.copy_blocks = blocks

    def space_needed(self) -> tuple[int, int]:
        """(bytes, inodes) the destination needs: whole 4 KiB blocks per file and directory."""
        if self.same_device:
            return 0, 0
        return (self.copy_blocks + self.new_dirs) * 4096, self.copy_files + self.new_dirs


def join(base: str, rel: str) -> str:
    return f"{base}/{rel}" if rel else base


def compare(src: os.stat_result, dst: os.stat_result, src_path: str, dst_path: str,
             keep_times: bool = True) -> str:
    """"there", "replace", or why it is a conflict. "there" only when proven: the same
    inode, or the same content (hashed); equal size and mtime alone are not proof."""
    if stat.S_ISREG(src.st_mode) and stat.S_ISREG(dst.st_mode):
        if (src.st_dev, src.st_ino) == (dst.st_dev, dst.st_ino):
            return "there"
        # Without kept times (a purge policy), a copy made by an earlier run is newer.
        if src.st_size == dst.st_size and (src.st_mtime_ns == dst.st_mtime_ns or not keep_times):
            try:
                if same_content(src_path, dst_path):
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
           stays: Stays | None = None, sized: bool = False) -> Survey:
    """Walk `source` (no symlink followed, `keeps` left out) against `dest`.

    `part_tokens`: those of earlier runs (their journal), whose temporary files at the
    destination are leftovers; `keep_times`: whether copies were given the source's times;
    `stays`: asked about each directory below the top; `sized`: total `home_bytes`.
    Another user's files and directories, and mount points, are never taken: they are
    `kept`."""
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
    result.same_device = top.st_dev == os.stat(nearest_existing(dest)).st_dev
    leftover = tuple(f"{PART_PREFIX}{token}" for token in part_tokens)
    try:
        dest_top = os.lstat(dest)
    except FileNotFoundError:
        dest_top = None
    if not stat.S_ISDIR(top.st_mode):
        result.home_bytes = top.st_blocks * 512 if sized else None
        if not (stat.S_ISREG(top.st_mode) or stat.S_ISLNK(top.st_mode)):
            result.skipped.append(("", SPECIAL))  # a fifo would block the copy forever
        elif dest_top is None:
            result.items.append(Item("", top, "copy"))
        else:
            action = compare(top, dest_top, source, dest, keep_times)
            if action.startswith("conflict"):
                result.conflicts.append(("", action))
            else:
                result.items.append(Item("", top, action, there=_there(action, dest_top)))
        result.count()
        return result
    device = top.st_dev
    # The space taken, as walker.directory counts it: (device, inode) -> blocks of each
    # file with several links (counted once), and the blocks of everything else.
    linked: dict[tuple[int, int], int] = {}
    blocks = top.st_blocks

    def below(path: str, st: os.stat_result) -> int:
        """Blocks below `path` when it is a directory here the survey does not enter."""
        if not sized or not stat.S_ISDIR(st.st_mode) or st.st_dev != device:
            return 0
        more, _, links = subtrees([path], device, set())
        for dev, ino, size in links:
            linked[dev, ino] = size
        return more

    if dest_top is not None and not stat.S_ISDIR(dest_top.st_mode):
        result.conflicts.append(("", "conflict: the destination is not a directory"))
        blocks += below(source, top)
        result.home_bytes = (blocks + sum(linked.values())) * 512 if sized else None
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
                blocks += below(src_dir, dir_st)
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
                if entries is not None:
                    blocks += below(src_dir, dir_st)
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
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # deleted since listed (a live cache): nothing to move
                continue
            mode = st.st_mode
            is_dir = stat.S_ISDIR(mode)
            if is_dir:
                if st.st_dev == device:
                    blocks += st.st_blocks
            elif st.st_nlink > 1:
                linked[st.st_dev, st.st_ino] = st.st_blocks
            else:
                blocks += st.st_blocks
            # Counted whether it moves or stays; what stays is counted whole (below).
            if keep_set and entry.path in keep_set:
                blocks += below(entry.path, st)
                continue
            child = prefix + entry.name
            if st.st_uid != me:
                result.kept.append((child, _not_ours(st, me) or ""))
                blocks += below(entry.path, st)
                continue
            if st.st_dev != device or f"{real_source}/{child}" in mounts:
                result.kept.append((child, MOUNT_POINT))
                blocks += below(entry.path, st)
                continue
            there = existing.get(entry.name)
            if is_dir:
                if there is not None and not there.is_dir(follow_symlinks=False):
                    result.conflicts.append(
                        (child, "conflict: the destination is not a directory"))
                    blocks += below(entry.path, st)
                else:
                    stack.append((child, st, there is not None))
                continue
            if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
                result.skipped.append((child, SPECIAL))
                continue
            action, there_st = "copy", None
            if there is not None:
                there_st = there.stat(follow_symlinks=False)
                action = compare(st, there_st, entry.path, there.path, keep_times)
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
    result.home_bytes = (blocks + sum(linked.values())) * 512 if sized else None
    result.count()
    return result


def _there(action: str, st: os.stat_result | None) -> tuple[int, int] | None:
    return (st.st_ino, st.st_mtime_ns) if action == "replace" and st is not None else None
