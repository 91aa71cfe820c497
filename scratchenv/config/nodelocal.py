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


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be the `node_local` setting, or None. It starts with `/` or
    with a variable (a centre's documented node-local directory: `{env[L_SCRATCH]}/...`;
    unset or empty in a job, the node-local caches stay on scratch) and has no `..`."""
    found = node_pieces(pattern)
    first = found[0] if found else ("text", "")
    if not (first[0] == "env" or (first[0] == "text" and first[1].startswith("/"))) or (
            ".." in pattern.split("/")):
        return f"{pattern!r} must be an absolute path or start with {{env[NAME]}} (without ..)"
    return None


def node_pieces(pattern: str | None) -> tuple[NodePiece, ...]:
    """The `node_local` setting as pieces; placeholders are `{user}` and `{env[NAME]}` alone
    (PlaceholderError, a ValueError, for anything else: config/placeholders.py)."""
    if pattern is None:
        return DEFAULT_NODE_PIECES
    return tuple(("user", "") if kind == "name" else (kind, value)
                 for kind, value in pieces(pattern, ("user",), env=True))
