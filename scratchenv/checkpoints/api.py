"""The Python API for training scripts: one checkpoint directory per worktree, on scratch."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from scratchenv.checkpoints.directories import (
    TRAINER_STATE,
    apply_cleanup,
    list_checkpoints,
    plain_directory,
    plan_cleanup,
    refresh,
    resolve,
    setup,
)
from scratchenv.checkpoints.identity import identify

if TYPE_CHECKING:
    from scratchenv.plan import Plan


_saved_into: str | None = None
"""The directory `setup_checkpoint_directory` last returned in this process: the one the run
saves into, so the exit hook cleans that one (a `project_name=` run's, not the worktree's)."""


def _plan() -> Plan:
    """The settings and the Plan, built here: a training script has no command above it."""
    from scratchenv.config.settings import load_settings
    from scratchenv.plan import build_plan

    return build_plan(load_settings())


def setup_checkpoint_directory(project_name: str | None = None, *,
                               gitignore: bool = False) -> str:
    """Create this worktree's (or `project_name`'s) checkpoint directory; return its path.

    Use it as `TrainingArguments(output_dir=setup_checkpoint_directory())`. The worktree's
    .gitignore is left alone unless `gitignore=True` (`scratchenv checkpoints setup` adds the
    entries). A worktree moved since the last call finds its directory again.
    """
    global _saved_into
    identity = identify(project_name)
    _saved_into = str(setup(_plan(), identity, gitignore=gitignore).directory.path)
    return _saved_into


def get_checkpoint_dir(project_name: str | None = None) -> str:
    """The checkpoint directory of this worktree (or `project_name`); creates nothing."""
    plan, identity = _plan(), identify(project_name)
    refresh(plan, identity)
    return str(resolve(plan, identity).path)


def cleanup_old_checkpoints(keep_latest: int = 2, directory: str | None = None) -> list[str]:
    """Delete all but the newest `keep_latest` checkpoints, and the best one the Trainer
    recorded, of the directory this run saves into (atexit-safe).

    That is `directory` when given, else the one `setup_checkpoint_directory` returned in
    this process (with its `project_name`), else this worktree's. Skips checkpoints still
    being written; returns the deleted paths.
    """
    plan = _plan()
    where = Path(directory or _saved_into or resolve(plan, identify()).path)
    if not plain_directory(where):
        return []
    return [str(p) for p in apply_cleanup(plan, plan_cleanup(plan, where, keep_latest))]


def latest_checkpoint(directory: str | None = None) -> str | None:
    """The newest complete checkpoint (with trainer_state.json) in `directory`, or None.

    `trainer.train(resume_from_checkpoint=latest_checkpoint(out))` resumes when there is
    something to resume and starts fresh otherwise (`True` raises on a fresh directory).
    """
    where = Path(directory) if directory else Path(get_checkpoint_dir())
    checkpoints, _ = list_checkpoints(where)
    complete = [c for c in checkpoints if (c.path / TRAINER_STATE).is_file()]
    return str(complete[0].path) if complete else None
