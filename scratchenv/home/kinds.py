"""What a directory in a move's source is, when that decides it stays where it is, whole.

A cache is bytes in a place; some things in home are not: they name their own path inside
(an environment's scripts and shebangs), or something runs them from there at every login
(scratchenv's own install). Moved, they break silently, so migrate keeps them and says
the exact command that rebuilds them at the new place instead.
"""

from __future__ import annotations

import os
import shlex

from scratchenv.home import pipx_apps
from scratchenv.install import own_places
from scratchenv.locations import inside

OWN_INSTALL = "scratchenv's own install: never moved (every login runs it from here)"


class Judge:
    """`survey.Stays` for one run: asked about each directory below a move's top."""

    def __init__(self) -> None:
        self._own = {(st.st_dev, st.st_ino) for st in map(_stat, own_places()) if st}

    def __call__(self, directory: str, dest: str, st: os.stat_result,
                 names: list[str]) -> str | None:
        if (st.st_dev, st.st_ino) in self._own:
            return OWN_INSTALL
        return environment(directory, dest, names)


def _stat(path: os.PathLike[str] | str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def top_note(source: str, always_link: bool) -> str | None:
    """Why a move's whole source stays (it is, or lies inside, scratchenv's own install or
    an environment), or None. A move that leaves a link (a checkout's .venv) keeps working
    paths, so an environment may go."""
    real = os.path.realpath(source)
    for place in own_places():
        if inside(real, place):
            return OWN_INSTALL
    if always_link or not os.path.isdir(source):
        return None
    try:
        names = os.listdir(source)
    except OSError:
        return None
    why = environment(source, "", names)
    return why.split(":")[0] + ": left alone" if why else None


def environment(directory: str, dest: str, names: list[str]) -> str | None:
    """Why an environment at `directory` stays, with the command that rebuilds it at
    `dest`; None when it is not one."""
    old, new = shlex.quote(directory), shlex.quote(dest)
    if "conda-meta" in names:
        return ("a conda environment (its scripts and shebangs name this prefix: moved, it "
                f"breaks); rebuild it there: `conda env export -p {old} > env.yml && conda "
                f"env create -p {new} -f env.yml && conda env remove -p {old}`")
    if "pyvenv.cfg" not in names:
        return None
    if pipx_apps.METADATA in names:
        return ("a pipx app (its scripts' shebangs name this path: moved, it breaks); it "
                "keeps working here; to have it under the new PIPX_HOME: "
                f"`{_pipx_reinstall(directory, dest)}`")
    config = _pyvenv_cfg(os.path.join(directory, "pyvenv.cfg"))
    if "uv" in config:
        rebuild = (f"uv pip freeze -p {old} > requirements.txt && uv venv {new} && "
                   f"uv pip install -p {new} -r requirements.txt")
    else:
        base = os.path.join(config.get("home", ""), "python3")
        python = shlex.quote(base) if os.path.isabs(base) and os.path.exists(base) else "python3"
        rebuild = (f"{old}/bin/python -m pip freeze > requirements.txt && {python} -m venv "
                   f"{new} && {new}/bin/python -m pip install -r requirements.txt")
    return ("a Python virtual environment (its scripts' shebangs name this path: moved, it "
            f"breaks); rebuild it there: `{rebuild}`")


def _pipx_reinstall(venv: str, dest: str) -> str:
    """doctor's command for a pipx app PIPX_HOME lacks (pipx_apps), for the app in `venv`
    going to `dest` (NEW_PIPX_HOME/venvs/NAME)."""
    name = os.path.basename(venv)
    found = [app for app in pipx_apps.apps(os.path.dirname(os.path.dirname(venv)))
             if app.name == name] or [pipx_apps.App(name, name)]
    return pipx_apps.reinstall_command(found, os.path.dirname(os.path.dirname(dest)))


def _pyvenv_cfg(path: str) -> dict[str, str]:
    found = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, sep, value = line.partition("=")
                if sep:
                    found[key.strip()] = value.strip()
    except OSError:
        pass
    return found
