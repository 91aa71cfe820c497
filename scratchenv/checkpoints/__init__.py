"""Per-worktree checkpoint directories on scratch, one job per module: who a worktree is,
found again after it moves (identity.py); which roots and names directories have
(places.py); which directory is whose, by its record (ownership.py); `setup` (creation.py);
the checkpoints inside one (listing.py); keeping one directory's newest and best, deleting
the rest (cleanup.py); every directory, unclaimed ones and orphans (status.py);
directories.py names them all for callers. The Python API for training scripts (api.py),
deleting planned then applied for `cleanup` and `prune-orphans` (pruning.py), and moving
old checkpoints and model caches in over the transfer engine of disk/ (archive.py:
`checkpoints adopt` and `archive`).

Importing this package stays light (no torch, transformers or pydantic settings until a
function needs them).

May import: the frame modules, config, plan, disk.
"""

from scratchenv.checkpoints.api import (
    cleanup_old_checkpoints,
    get_checkpoint_dir,
    latest_checkpoint,
    setup_checkpoint_directory,
)

__all__ = [
    "cleanup_old_checkpoints",
    "get_checkpoint_dir",
    "latest_checkpoint",
    "setup_checkpoint_directory",
]
