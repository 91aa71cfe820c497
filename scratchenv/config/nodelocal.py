"""The `node_local` setting: the user's node-local directory inside a Slurm job, as pieces.

Placeholders are a closed set, `{user}` and `{env[NAME]}`; nothing else is substituted.
"""

from __future__ import annotations

import re

NodePiece = tuple[str, str]
"""A piece of the node-local directory: ("text", literal), ("user", ""), ("env", NAME), or
("tmp", "") for $SLURM_TMPDIR, else $TMPDIR. Every renderer builds the directory from these."""

DEFAULT_NODE_PIECES: tuple[NodePiece, ...] = (("tmp", ""), ("text", "/scratchenv-"), ("user", ""))
"""Without the `node_local` setting: $SLURM_TMPDIR (else $TMPDIR)/scratchenv-<user>, one
directory per user, since Slurm's default TMPDIR is /tmp, shared by every user of the node."""

_PLACEHOLDER = re.compile(r"\{user\}|\{env\[([A-Za-z_][A-Za-z0-9_]*)\]\}")


def node_pieces(pattern: str | None) -> tuple[NodePiece, ...]:
    """The `node_local` setting as pieces; placeholders are `{user}` and `{env[NAME]}` alone
    (ValueError for any other brace)."""
    if pattern is None:
        return DEFAULT_NODE_PIECES
    pieces: list[NodePiece] = []
    at = 0
    for match in _PLACEHOLDER.finditer(pattern):
        pieces.append(("text", pattern[at:match.start()]))
        pieces.append(("env", match.group(1)) if match.group(1) else ("user", ""))
        at = match.end()
    pieces.append(("text", pattern[at:]))
    pieces = [piece for piece in pieces if piece != ("text", "")]
    if any("{" in text or "}" in text for kind, text in pieces if kind == "text"):
        raise ValueError(f"{pattern!r}: the only placeholders are {{user}} and {{env[NAME]}}")
    return tuple(pieces)
