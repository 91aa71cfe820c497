"""Cleanup of one checkpoint directory: keep the newest N and the best one (planned first,
a pure look-up), then delete the rest through the one safe delete (removal.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scratchenv import removal
from scratchenv.checkpoints.listing import (
    TRAINER_STATE,
    Checkpoint,
    Skipped,
    best_checkpoint,
    list_checkpoints,
)
from scratchenv.checkpoints.places import root_holding
from scratchenv.errors import ConfigError, ScratchenvError

if TYPE_CHECKING:
    from scratchenv.plan import Plan


@dataclass(frozen=True)
class Cleanup:
    """What cleanup keeps, deletes and leaves alone in one checkpoint directory."""

    directory: Path
    keep: list[Checkpoint] = field(default_factory=list)
    delete: list[Checkpoint] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    why: dict[Path, str] = field(default_factory=dict)
    """Why a kept checkpoint is kept ("newest", "best ..."), by path."""
    refused: list[Skipped] = field(default_factory=list)
    """Filled by apply_cleanup: what the safe delete would not delete, and why."""


def plan_cleanup(plan: Plan, directory: Path, keep: int) -> Cleanup:
    """Keep the newest `keep` checkpoints (never fewer than the newest one) and the best one
    the Trainer recorded (as its own `save_total_limit` rotation does); pure look-up.

    One still being written is left alone and does not count towards `keep`: it may never
    be complete, so the newest finished ones must survive it."""
    if keep < 1:
        raise ConfigError(f"keep must be at least 1, not {keep} (the newest is never deleted)")
    checkpoints, skipped = list_checkpoints(
        directory, writing_seconds=plan.checkpoint_place.writing_seconds
    )
    result = Cleanup(directory, skipped=skipped)
    best = best_checkpoint([c for c in checkpoints if not c.writing])
    for checkpoint in checkpoints:
        if checkpoint.writing:
            result.skipped.append(Skipped(checkpoint.path, "still being written"))
        elif len(result.keep) < keep or (best is not None and checkpoint == best[0]):
            if not result.keep:
                result.why[checkpoint.path] = "newest"
            result.keep.append(checkpoint)
        else:
            result.delete.append(checkpoint)
    if best is not None:
        metric = f" ({best[1]:g})" if best[1] is not None else ""
        result.why[best[0].path] = ", ".join(
            filter(None, [result.why.get(best[0].path), f"best{metric}: best_model_checkpoint "
                          f"in {TRAINER_STATE}"]))
    return result


def apply_cleanup(plan: Plan, cleanup: Cleanup) -> list[Path]:
    """Delete what `cleanup` says to delete; returns what was deleted. What the safe delete
    refuses (a mount point or another user's file inside, a symlink out of the root) is
    kept whole and added to `cleanup.refused`; the others are still deleted."""
    root = root_holding(plan, cleanup.directory)
    deleted = []
    for checkpoint in cleanup.delete:
        try:
            remove_tree(checkpoint.path, root)
        except ScratchenvError as refused:
            cleanup.refused.append(Skipped(checkpoint.path, str(refused)))
            continue
        deleted.append(checkpoint.path)
    return deleted


def remove_tree(path: Path, root: Path) -> None:
    """Delete the real directory `path`, which must lie inside `root` once symlinks resolve
    (the one safe delete, removal.py)."""
    removal.remove_tree(path, root, directories_only=True)

