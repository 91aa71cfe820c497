"""What a checkpoint or a trained model looks like on disk: the one rule every command asks
(clean keeps them, migrate never takes them into a cache group, doctor and archive find them).

A directory is one when it holds, as regular files:
- `trainer_state.json` (transformers.Trainer writes it into every checkpoint), or
- `optimizer.pt` (an optimizer state: training can resume from here), or
- `config.json` beside weights (`*.safetensors`, `pytorch_model*.bin`): a saved model.
Regular files only: the Hugging Face hub cache's snapshots hold the same names as symlinks
into its blob store, and those are downloads that come back, not something trained here.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterable

LEGACY_HF = ".cache/huggingface/transformers"
"""The cache transformers used before huggingface_hub's (under home): the old setup saved
checkpoints there, so it is archived (`checkpoints archive`), never moved or cleaned as cache."""

_ALONE = {"trainer_state.json": "a Trainer checkpoint (trainer_state.json)",
          "optimizer.pt": "a checkpoint with optimizer state (optimizer.pt)"}
_WEIGHTS = ("*.safetensors", "pytorch_model*.bin")


def made_by_training(directory: str | os.PathLike[str],
                     names: Iterable[str] | None = None) -> str | None:
    """Why `directory` is a checkpoint or a trained model, or None when it is not one.

    `names`: its entries when the caller has listed it already."""
    if names is None:
        try:
            names = os.listdir(directory)
        except OSError:
            return None
    names = list(names)

    def regular(name: str) -> bool:
        try:
            return stat.S_ISREG(os.lstat(os.path.join(directory, name)).st_mode)
        except OSError:
            return False

    for name, why in _ALONE.items():
        if name in names and regular(name):
            return why
    if "config.json" in names and regular("config.json"):
        for name in names:
            if any(fnmatch.fnmatchcase(name, p) for p in _WEIGHTS) and regular(name):
                return f"a trained model ({name} beside config.json)"
    return None
