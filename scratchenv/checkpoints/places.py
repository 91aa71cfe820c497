"""Where checkpoint directories go and where they are found: the roots they may be on, the
name the layout gives each id (settings `checkpoints.layout`, `{root}/checkpoints_{id}/` by
default), and every directory on disk named so (the seed's `checkpoints_*` too)."""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import TYPE_CHECKING

from scratchenv.locations import below

if TYPE_CHECKING:
    from scratchenv.plan import Plan

SEED_PREFIX = "checkpoints_"
"""The seed's script made `{root}/checkpoints_<name>/` whatever the layout says now."""


def checkpoint_root(plan: Plan) -> Path:
    """The directory that holds every checkpoint directory; nothing outside it is deleted."""
    return Path(plan.checkpoint_place.directory)


def checkpoint_bases(plan: Plan) -> list[Path]:
    """The roots checkpoint directories may be on: the checkpoints tier's root first, then
    the other root (directories made there before `persistent_root` or `tiers` changed)."""
    return [Path(base) for base in plan.checkpoint_place.bases]


def root_holding(plan: Plan, path: Path) -> Path:
    """The root (of `checkpoint_bases`) that `path` is written under; the checkpoints tier's
    root when none is (the safe delete then refuses it)."""
    bases = checkpoint_bases(plan)
    written = os.path.normpath(os.path.abspath(path))
    for base in bases:
        if below(written, os.path.normpath(os.path.abspath(base))):
            return base
    return bases[0]


def directory_for(plan: Plan, dir_id: str, base: Path | None = None) -> Path:
    """Where the directory `dir_id` goes on `base` (default: the checkpoints tier's root)."""
    place = plan.checkpoint_place
    root = Path(place.root) if base is None else base
    return root / place.layout.replace("{id}", dir_id)


def plain_directory(path: Path) -> bool:
    """A real directory, not a symlink to one."""
    return path.is_dir() and not path.is_symlink()


def directories(plan: Plan, base: Path | None = None) -> list[tuple[str, Path]]:
    """(id, path) of every checkpoint directory on either root (`checkpoint_bases`, the
    checkpoints tier's root first), by the layout and the seed's `checkpoints_*` naming.

    `base`: under that root only."""
    layout = plan.checkpoint_place.layout
    last = os.path.basename(layout)
    before, after = last.split("{id}")
    pattern = glob.escape(before) + "*" + glob.escape(after)
    parent = os.path.dirname(layout)
    found: list[tuple[str, Path]] = []
    seen: set[Path] = set()
    for root in [base] if base is not None else checkpoint_bases(plan):
        holder = root / parent if parent else root
        names = [(holder, name, before, after)
                 for name in sorted(glob.glob(pattern, root_dir=holder))]
        names += [(root, name, SEED_PREFIX, "")
                  for name in sorted(glob.glob(SEED_PREFIX + "*", root_dir=root))]
        for where, name, head, tail in names:
            path = where / name
            if path not in seen and plain_directory(path):
                seen.add(path)
                found.append((name[len(head):len(name) - len(tail)], path))
    return found
