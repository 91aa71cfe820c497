"""Per-worktree checkpoint directories on scratch: who a directory belongs to, found again
after a worktree moves (identity.py), naming, setup, status and cleanup (directories.py), the
Python API for training scripts (api.py), deleting planned then applied for `cleanup` and
`prune-orphans` (pruning.py), and moving old checkpoints and model caches in over the
transfer engine of disk/ (archive.py: `checkpoints adopt` and `archive`).

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
