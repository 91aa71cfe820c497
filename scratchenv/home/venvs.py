"""A checkout's own `.venv`, kept on scratch: `.venv` is a symlink to a directory under the
root, one per checkout.

`uv venv`, `uv sync`, `python -m venv .venv` and `source .venv/bin/activate` all go through
the link, so nanochat's speedrun sequence works unchanged and the venv's bytes land on
scratch. The directory is `{root}/venvs/<parent>_<checkout>-<8 hex of the checkout's real
path>`: readable like the checkpoint directories, and never shared by two checkouts.

An existing `.venv` moves with the lossless transfer engine and the link is left in its
place, so every absolute path in the venv (its activate scripts' VIRTUAL_ENV, the shebangs of
its scripts) still leads to it: nothing in it needs rewriting.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence

from scratchenv.checkpoints.identity import sanitise
from scratchenv.home.moves import Move, below, inside, known_places
from scratchenv.plan import Plan

NAME = ".venv"
TOOL = "venvs"
"""What `scratchenv migrate` calls them."""
PLACE = "venvs"
"""Under the root: one directory per checkout."""
MAX_DEPTH = 4
"""How deep below home checkouts are looked for (~/src/group/project/.venv is 4)."""
_NOT_CHECKOUTS = frozenset({".git", "node_modules", "__pycache__", NAME})


def place_for(plan: Plan, checkout: str) -> str:
    """The directory under the root that `checkout`'s .venv links to."""
    real = os.path.realpath(checkout)
    tag = hashlib.sha256(real.encode()).hexdigest()[:8]
    name = sanitise(f"{os.path.basename(os.path.dirname(real))}_{os.path.basename(real)}")
    return os.path.join(plan.root, PLACE, f"{name}-{tag}")


def move_for(plan: Plan, checkout: str) -> Move:
    """Take `checkout`/.venv to its place under the root, leaving the link behind."""
    return Move(TOOL, NAME, os.path.join(os.path.abspath(checkout), NAME),
                place_for(plan, checkout), "dir", always_link=True)


def is_venv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def in_home(plan: Plan) -> Iterator[str]:
    """Real `.venv` directories (not links) in checkouts in home, up to MAX_DEPTH down.

    Places an entry or offender accounts for (caches, ~/.cargo ...) and the root are not
    searched, nor hidden directories, nor what a symlink leads to."""
    home = os.path.normpath(plan.home)
    skip = set(known_places(plan)) | {os.path.normpath(plan.root)}
    stack = [(home, 0)]
    while stack:
        directory, depth = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name, reverse=True)
        except OSError:
            continue
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                continue
            if entry.name == NAME:
                if is_venv(entry.path):
                    yield entry.path
                continue
            if entry.name.startswith(".") or entry.name in _NOT_CHECKOUTS or \
                    depth + 1 >= MAX_DEPTH or entry.path in skip or \
                    any(inside(entry.path, place) for place in skip):
                continue
            stack.append((entry.path, depth + 1))


def moves(plan: Plan, min_bytes: int, sizes: Sequence[tuple[str, int]] | None = None
          ) -> list[Move]:
    """A move for each checkout venv in home of at least `min_bytes` (doctor and migrate
    use the same rule, `thresholds.large_venv`)."""
    from scratchenv.disk.usage import scan

    found = sizes if sizes is not None else [(path, scan(path).bytes) for path in in_home(plan)]
    return [move_for(plan, os.path.dirname(path)) for path, nbytes in found
            if nbytes >= min_bytes and not below(os.path.realpath(path),
                                                 os.path.realpath(plan.root))]


def link(plan: Plan, checkout: str) -> str:
    """Make `checkout`/.venv a link to its place under the root (which is made, private,
    when missing: after a purge too); what happened, as one line.

    A real .venv is not touched here: `migrate` moves it (the caller runs it)."""
    from scratchenv.errors import ScratchenvError
    from scratchenv.fsutil import makedirs_private

    move = move_for(plan, checkout)
    venv, dest = move.source, move.dest
    if os.path.islink(venv):
        if os.path.realpath(venv) != os.path.realpath(dest):
            raise ScratchenvError(f"{venv} is a link to {os.path.realpath(venv)}, not to "
                                  f"{dest}: left alone (remove it to link it here)")
        made = not os.path.isdir(dest)
        makedirs_private(dest)
        return f"{venv} -> {dest}: already linked" + ("; its directory made again" if made
                                                        else "")
    if os.path.lexists(venv):
        raise ScratchenvError(f"{venv} exists and is not a link: `scratchenv migrate venvs` "
                              "moves it")
    makedirs_private(dest)
    os.symlink(dest, venv)
    return f"{venv} -> {dest}: linked"
