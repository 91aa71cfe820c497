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

import contextlib
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
    when missing: after a purge too), and keep the link out of git (info/exclude); what
    happened, as one line. Nothing is left under the root when the link cannot be made.

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
        exclude_from_git(checkout)
        return f"{venv} -> {dest}: already linked" + ("; its directory made again" if made
                                                        else "")
    if os.path.lexists(venv):
        raise ScratchenvError(f"{venv} exists and is not a link: `scratchenv migrate venvs` "
                              "moves it")
    missing = _missing_dirs(dest)
    makedirs_private(dest)
    try:
        os.symlink(dest, venv)
    except OSError as error:
        for directory in reversed(missing):  # only what was made just now, and empty
            with contextlib.suppress(OSError):
                os.rmdir(directory)
        raise ScratchenvError(f"cannot link {venv}: {error.strerror}") from None
    exclude_from_git(checkout)
    return f"{venv} -> {dest}: linked"


def _missing_dirs(path: str) -> list[str]:
    """`path` and its missing parents, outermost first."""
    missing = []
    while not os.path.lexists(path):
        missing.append(path)
        path = os.path.dirname(path)
    return missing[::-1]


def exclude_from_git(checkout: str) -> None:
    """Add `.venv` to the checkout's `.git/info/exclude`, so `git status` and `git add -A`
    leave the link alone (`.venv/` in a .gitignore matches directories, not a link)."""
    from scratchenv import proc
    from scratchenv.errors import ScratchenvError
    from scratchenv.fsutil import atomic_write

    try:
        result = proc.run(["git", "rev-parse", "--git-path", "info/exclude"], cwd=checkout,
                          timeout=30)
    except ScratchenvError:
        return  # no git: nothing to keep it out of
    if not result.ok or not result.stdout.strip():
        return
    path = os.path.join(checkout, result.stdout.strip())
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            text = handle.read()
    except FileNotFoundError:
        text = ""
    except OSError:
        return
    if any(line.strip() in (NAME, f"/{NAME}") for line in text.splitlines()):
        return
    if text and not text.endswith("\n"):
        text += "\n"
    with contextlib.suppress(OSError):
        atomic_write(path, text + f"{NAME}\n")
