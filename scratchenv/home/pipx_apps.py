"""pipx apps installed under an older PIPX_HOME: once activation points PIPX_HOME at the
root, `pipx list` no longer shows them, and moving a venv breaks it (its scripts' shebangs
name the old path). The fix is pipx's own: install each app again under the new PIPX_HOME,
from the spec pipx recorded (`pipx_metadata.json`: `main_package.package_or_url`).

Where pipx kept its apps in home: `~/.local/pipx` (pipx up to 1.1, and later ones while it
exists) and `~/.local/share/pipx` (the XDG default since 1.2, the catalogue's PIPX_HOME
default). scratchenv's own venv is never reinstalled onto the root (install.py).
"""

from __future__ import annotations

import json
import os
import shlex

from scratchenv.install import inside_own_install
from scratchenv.plain import record

HOMES = (".local/pipx", ".local/share/pipx")
"""Relative to home: pipx 1.1's PIPX_HOME, then the XDG one."""
METADATA = "pipx_metadata.json"


@record
class App:
    name: str
    """The venv's name under `venvs/` (what `pipx list` shows)."""
    spec: str
    """What was installed: a name, a URL or a path (`package_or_url`)."""


def apps(pipx_home: str) -> list[App]:
    """The apps under `pipx_home` (by name) with the spec pipx recorded; venvs without a
    readable record, and scratchenv's own, are left out."""
    venvs = os.path.join(pipx_home, "venvs")
    try:
        names = sorted(os.listdir(venvs))
    except OSError:
        return []
    found = []
    for name in names:
        venv = os.path.join(venvs, name)
        if os.path.islink(venv) or inside_own_install(venv) is not None:
            continue
        try:
            with open(os.path.join(venv, METADATA), encoding="utf-8") as handle:
                spec = json.load(handle)["main_package"]["package_or_url"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if isinstance(spec, str) and spec:
            found.append(App(name, spec))
    return found


def missing(old_home: str, new_home: str) -> list[App]:
    """The apps of `old_home` that `new_home` does not have (what `pipx list` lacks)."""
    return [app for app in apps(old_home)
            if not os.path.isdir(os.path.join(new_home, "venvs", app.name))]


def reinstall_command(found: list[App], new_home: str) -> str:
    """One shell command that installs `found` again under `new_home`."""
    return " && ".join(f"env PIPX_HOME={shlex.quote(new_home)} pipx install --force "
                       f"{shlex.quote(app.spec)}" for app in found)
