"""scratchenv: keep caches, venvs, toolchains and checkpoints on scratch, not in $HOME."""

__version__ = "0.1.0"
