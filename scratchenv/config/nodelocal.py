"""The `node_local` setting: the user's node-local directory inside a Slurm job, as pieces.

Placeholders are a closed set, `{user}` and `{env[NAME]}`; nothing else is substituted.
"""

from __future__ import annotations

from scratchenv.config.placeholders import pieces

NodePiece = tuple[str, str]
"""A piece of the node-local directory: ("text", literal), ("user", ""), ("env", NAME), or
("tmp", "") for $SLURM_TMPDIR, else $TMPDIR. Every renderer builds the directory from these."""

DEFAULT_NODE_PIECES: tuple[NodePiece, ...] = (("tmp", ""), ("text", "/scratchenv-"), ("user", ""))
"""Without the `node_local` setting: $SLURM_TMPDIR (else $TMPDIR)/scratchenv-<user>, one
directory per user, since Slurm's default TMPDIR is /tmp, shared by every user of the node."""

def node_pieces(pattern: str | None) -> tuple[NodePiece, ...]:
    """The `node_local` setting as pieces; placeholders are `{user}` and `{env[NAME]}` alone
    (PlaceholderError, a ValueError, for anything else: config/placeholders.py)."""
    if pattern is None:
        return DEFAULT_NODE_PIECES
    return tuple(("user", "") if kind == "name" else (kind, value)
                 for kind, value in pieces(pattern, ("user",), env=True))
