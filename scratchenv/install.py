"""Where scratchenv itself is installed: what no command may move, clean or purge.

Every login runs scratchenv (the rc-file block); its own install moved or deleted, a new
shell silently has no scratch variables. Its install is
- the virtual environment it runs from (`sys.prefix` when that is a venv: a pipx or
  `uv tool` venv, a checkout's .venv), and
- the directory of its own package (site-packages, or a checkout for an editable install).
The console script that starts it (`~/.local/bin/scratchenv`) is a link into the venv.

Standard library only: migrate, clean and doctor all ask here.
"""

from __future__ import annotations

import os
import sys

from scratchenv.locations import inside


def own_command() -> list[str]:
    """How this scratchenv was started, by absolute path: what the rc block, job scripts and
    the login's background look call."""
    script = os.path.abspath(sys.argv[0])
    if os.path.basename(script) == "scratchenv" and os.access(script, os.X_OK):
        return [script]
    # -P: not from the working directory (a scratchenv/ or json.py of someone else's
    # where a login starts); PYTHONPATH and the user site, where it may live, still count.
    return [sys.executable, "-P", "-m", "scratchenv"]


def own_install() -> str:
    """The one place that is scratchenv's install: the venv it runs from, else (a system or
    user site install, no venv) the directory of its package."""
    if sys.prefix != sys.base_prefix:
        return os.path.realpath(sys.prefix)
    return _package_dir()


def own_places() -> tuple[str, ...]:
    """Every place of scratchenv's install (real paths, outermost first): the venv it runs
    from and its package directory when that lies elsewhere (an editable checkout)."""
    result: list[str] = []
    for place in (own_install(), _package_dir()):
        if not any(inside(place, kept) for kept in result):
            result.append(place)
    return tuple(result)


def own_install_in(path: str | os.PathLike[str]) -> list[str]:
    """The places of scratchenv's install at or below `path` (after symlinks), as real
    paths: what a move or a delete of `path` would take along."""
    real = os.path.realpath(path)
    return [place for place in own_places() if inside(place, real)]


def inside_own_install(path: str | os.PathLike[str]) -> str | None:
    """The place of scratchenv's install that holds `path` (after symlinks), or None."""
    real = os.path.realpath(path)
    return next((place for place in own_places() if inside(real, place)), None)


def _package_dir() -> str:
    return os.path.dirname(os.path.realpath(__file__))
