"""The checkpoints inside one directory: `checkpoint-<step>/` as the Trainer names them,
newest first, which are still being written, and which one the Trainer recorded as best."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from scratchenv.plain import record

TRAINER_STATE = "trainer_state.json"
"""Written last by transformers.Trainer._save_checkpoint: its presence means complete."""
STEP = re.compile(r"checkpoint-(\d+)")
"""A checkpoint's name, as the Trainer's get_last_checkpoint matches it."""


@record
class Checkpoint:
    path: Path
    step: int
    mtime: float
    writing: bool = False

    @property
    def name(self) -> str:
        return self.path.name


@record
class Skipped:
    path: Path
    reason: str


def list_checkpoints(
    directory: Path, *, writing_seconds: float = 0, now: float | None = None
) -> tuple[list[Checkpoint], list[Skipped]]:
    """`checkpoint-<step>` directories, newest first (step, then mtime); symlinks are skipped."""
    now = time.time() if now is None else now
    found: list[Checkpoint] = []
    skipped: list[Skipped] = []
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return [], []
    for entry in entries:
        match = STEP.fullmatch(entry.name)
        if not match:
            continue
        if entry.is_symlink():
            skipped.append(Skipped(Path(entry.path), "symlink: left alone, never followed"))
            continue
        if not entry.is_dir(follow_symlinks=False):
            continue
        try:
            mtime = entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:  # deleted since listed (another rank cleaning up too)
            continue
        writing = _being_written(Path(entry.path), now - writing_seconds)
        found.append(Checkpoint(Path(entry.path), int(match.group(1)), mtime, writing))
    found.sort(key=lambda c: (c.step, c.mtime, c.name), reverse=True)
    skipped.sort(key=lambda s: s.path.name)
    return found, skipped


def _being_written(path: Path, since: float) -> bool:
    """No trainer_state.json yet (the Trainer writes it last) and something changed recently."""
    if (path / TRAINER_STATE).is_file():
        return False
    for top, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            try:
                if os.lstat(os.path.join(top, name)).st_mtime >= since:
                    return True
            except FileNotFoundError:
                continue
    try:
        return os.lstat(path).st_mtime >= since
    except FileNotFoundError:
        return False


def best_checkpoint(checkpoints: list[Checkpoint]) -> tuple[Checkpoint, float | None] | None:
    """The checkpoint the newest trainer_state.json names as `best_model_checkpoint` (with
    `load_best_model_at_end=True`), and its `best_metric`; None when none is named here.

    Matched by name inside this directory: the Trainer records the path it saved to, which
    differs once the directory was moved or adopted."""
    for checkpoint in checkpoints:  # newest first: the first readable state decides
        try:
            state = json.loads((checkpoint.path / TRAINER_STATE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        best = state.get("best_model_checkpoint") if isinstance(state, dict) else None
        if not isinstance(best, str) or not best:
            return None
        name = os.path.basename(best.rstrip("/"))
        metric = state.get("best_metric")
        for candidate in checkpoints:
            if candidate.name == name:
                return candidate, metric if isinstance(metric, (int, float)) else None
        return None
    return None

