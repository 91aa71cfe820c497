"""Per-worktree checkpoint directories on scratch, by the names their callers know.

Each git worktree (or named project) gets `{root}/checkpoints_{id}/` (settings
`checkpoints.layout`), where id is `<parent-dir>_<worktree-dir>`, sanitised. Each job has
its module: places.py (which roots, which names, every directory found), ownership.py (the
`.scratchenv-worktree` record: which directory is whose), creation.py (`setup`, .gitignore),
listing.py (the `checkpoint-<step>/` inside one), cleanup.py (keep the newest and the best,
delete the rest safely), status.py (every directory, unclaimed ones, which lost their worktree).

Hugging Face needs nothing more than `TrainingArguments(output_dir=setup_checkpoint_directory())`:
the Trainer then saves `checkpoint-<step>/` there, rotates with `save_total_limit` and finds
the latest for `resume_from_checkpoint=True` by itself. Importing this module never imports
transformers or torch.
"""

from __future__ import annotations

from scratchenv.checkpoints.cleanup import Cleanup, apply_cleanup, plan_cleanup, remove_tree
from scratchenv.checkpoints.creation import GITIGNORE_ENTRIES, Setup, ensure_gitignore, setup
from scratchenv.checkpoints.listing import (
    STEP,
    TRAINER_STATE,
    Checkpoint,
    Skipped,
    best_checkpoint,
    list_checkpoints,
)
from scratchenv.checkpoints.ownership import (
    METADATA,
    CheckpointDir,
    read_metadata,
    refresh,
    resolve,
    write_record,
)
from scratchenv.checkpoints.places import (
    SEED_PREFIX,
    checkpoint_bases,
    checkpoint_root,
    directories,
    directory_for,
    plain_directory,
    root_holding,
)
from scratchenv.checkpoints.status import (
    UNCLAIMED_ADVICE,
    DirStatus,
    all_directories,
    status_of,
    unclaimed,
)

__all__ = [
    "GITIGNORE_ENTRIES",
    "METADATA",
    "SEED_PREFIX",
    "STEP",
    "TRAINER_STATE",
    "UNCLAIMED_ADVICE",
    "Checkpoint",
    "CheckpointDir",
    "Cleanup",
    "DirStatus",
    "Setup",
    "Skipped",
    "all_directories",
    "apply_cleanup",
    "best_checkpoint",
    "checkpoint_bases",
    "checkpoint_root",
    "directories",
    "directory_for",
    "ensure_gitignore",
    "list_checkpoints",
    "plain_directory",
    "plan_cleanup",
    "read_metadata",
    "refresh",
    "remove_tree",
    "resolve",
    "root_holding",
    "setup",
    "status_of",
    "unclaimed",
    "write_record",
]
