"""The marked block in ~/.bashrc and friends: added, replaced in place, or removed.

Only the text between the markers is ever ours; the user's own lines are never touched.
"""

from __future__ import annotations

import difflib
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from scratchenv.errors import ConfigError, ScratchenvError
from scratchenv.fsutil import atomic_write
from scratchenv.locations import home_dir
from scratchenv.shells.registry import BY_NAME, LOGIN_SHELLS

BEGIN = "# >>> scratchenv >>>"
END = "# <<< scratchenv <<<"


_BASES = {"$ZDOTDIR/": ("ZDOTDIR", ""), "$XDG_CONFIG_HOME/": ("XDG_CONFIG_HOME", ".config")}
"""The variables an rc location may start with, and each one's default under home."""


def rc_path(shell: str, environ: Mapping[str, str]) -> Path:
    """The startup file `init` writes for `shell` (see the registry for which and why)."""
    entry = BY_NAME.get(shell)
    if entry is None or not entry.rc:
        raise ConfigError(f"init supports {', '.join(LOGIN_SHELLS)}, not {shell!r}")
    home = Path(home_dir(environ))
    candidates = [_resolve(spec, home, environ) for spec in entry.rc]
    return next((path for path in candidates if path.exists()), candidates[0])


def _resolve(spec: str, home: Path, environ: Mapping[str, str]) -> Path:
    for prefix, (variable, default) in _BASES.items():
        if spec.startswith(prefix):
            return Path(environ.get(variable) or home / default) / spec[len(prefix):]
    return home / spec


def block(shell: str, command: Sequence[str]) -> str:
    """The rc block. `command` is how to run scratchenv, recorded by absolute path at init
    time (pipx or `pip --user` installs are often off the login PATH)."""
    from scratchenv.shells import shell_renderer

    header = (
        f"# Added by `scratchenv init {shell}`; `scratchenv init {shell} --reverse` removes it."
    )
    return "\n".join([BEGIN, header, *shell_renderer(shell).rc_block(command), END]) + "\n"


def placement(shell: str) -> str:
    return BY_NAME[shell].placement


def _split(text: str, path: Path) -> tuple[str, str, str] | None:
    """(before, block, after) for the one block in `text`, or None when there is none."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == BEGIN]
    ends = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == END]
    if not starts and not ends:
        return None
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise ConfigError(
            f"{path}: the scratchenv markers are damaged ({len(starts)} begin, {len(ends)} end);"
            " fix them by hand, then run init again"
        )
    start, end = starts[0], ends[0]
    return "".join(lines[:start]), "".join(lines[start : end + 1]), "".join(lines[end + 1 :])


def updated(text: str, new_block: str | None, path: Path, where: str = "end") -> str:
    """`text` with our block replaced by `new_block` (None removes it). A "top" block goes
    first (moved there if an older init put it lower); an "end" block is replaced in place."""
    parts = _split(text, path)
    if parts is not None:
        before, _, after = parts
        if new_block is None:
            return before + after
        if where != "top" or not before:
            return before + new_block + after
        text = before + after
    if new_block is None:
        return text
    if where == "top":
        return new_block + text
    separator = "" if not text or text.endswith("\n") else "\n"
    return text + separator + new_block


def diff(old: str, new: str, path: Path) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True),
            fromfile=str(path), tofile=f"{path} (after)",
        )
    )


def install(path: Path, new_block: str | None, *, dry_run: bool = False,
            where: str = "end") -> tuple[bool, str]:
    """Write (or with `new_block=None` remove) the block. Returns (changed, diff).

    A backup `<rc>.scratchenv-backup` of the previous text is kept; the write is atomic
    and keeps the file's mode. A symlinked rc file (a dotfile manager's) stays a link: the
    file it points at is rewritten. Line ends are kept as they are (no newline translation).
    """
    target = path.resolve() if path.is_symlink() else path
    try:
        old = target.read_bytes().decode("utf-8") if target.exists() else ""
    except (OSError, UnicodeDecodeError) as problem:
        raise ScratchenvError(f"cannot read {path}: {problem}") from None
    new = updated(old, new_block, path, where)
    changes = diff(old, new, path)
    if dry_run or new == old:
        return new != old, changes
    try:
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
        if target.exists():
            shutil.copy2(target, path.with_name(path.name + ".scratchenv-backup"))
        atomic_write(target, new, mode=mode)
    except OSError as problem:
        raise ScratchenvError(f"cannot write {path}: {problem.strerror or problem}") from None
    return True, changes
