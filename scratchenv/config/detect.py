"""Finding the scratch root: the places centres put it, tried in a fixed order."""

from __future__ import annotations

import glob
import os
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from scratchenv.errors import ConfigError
from scratchenv.fsutil import nearest_existing


def candidates(environ: Mapping[str, str], user: str, cluster: str | None) -> list[tuple[str, str]]:
    """(place, why) pairs in the order they are tried; SCRATCHENV_ROOT is the settings' job."""
    places: list[tuple[str, str]] = []
    if environ.get("SCRATCH"):
        places.append((environ["SCRATCH"], "$SCRATCH"))
    if cluster:
        places.append((f"/scratch/{cluster}/users/{user}", "/scratch/<cluster>/users/$USER"))
    else:
        for match in sorted(glob.glob(f"/scratch/*/users/{glob.escape(user)}")):
            places.append((match, "/scratch/<cluster>/users/$USER"))
    places += [
        (f"/scratch/{user}", "/scratch/$USER"),
        (f"/lustre/scratch/{user}", "/lustre/scratch/$USER"),
        (f"/gpfs/scratch/{user}", "/gpfs/scratch/$USER"),
    ]
    return places


def problem_with_root(root: Path, *, parent_must_exist: bool = False) -> str | None:
    """Why `root` cannot be the scratch root, or None when it can.

    A root must be an existing directory owned by the user, or creatable: for an explicit
    setting under any ancestor the user may write; for a guess, directly in an existing,
    writable parent (a guess must not conjure /scratch out of a writable /).
    """
    if not root.is_absolute():
        return f"{root} is not an absolute path"
    if root.exists():
        if not root.is_dir():
            return f"{root} exists but is not a directory"
        owner = root.stat().st_uid
        if owner != os.getuid():
            return f"{root} is owned by uid {owner}, not by you (uid {os.getuid()})"
        return None
    ancestor = root.parent if parent_must_exist else nearest_existing(root)
    if ancestor.exists() and not ancestor.is_dir():
        return f"{root} does not exist and {ancestor} is not a directory"
    if not ancestor.is_dir():
        return f"{root} does not exist and neither does {ancestor}"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"{root} does not exist and {ancestor} is not writable by you"
    return None


NO_ROOT = "no scratch root found"
"""How the error that no candidate is usable begins (lint-scripts runs without a root)."""


def detect_root(environ: Mapping[str, str], user: str, cluster: str | None) -> Path:
    """The first usable candidate; otherwise an error naming every place tried."""
    tried = ["SCRATCHENV_ROOT (unset)"]
    if not environ.get("SCRATCH"):
        tried.append("$SCRATCH (unset)")
    places = candidates(environ, user, cluster)
    if not cluster and not any(why.startswith("/scratch/<cluster>") for _, why in places):
        tried.append(f"/scratch/<cluster>/users/{user} (no /scratch/*/users/{user}; "
                     "set `cluster`)")
    for place, why in places:
        path = Path(place)
        reason = problem_with_root(path, parent_must_exist=(why != "$SCRATCH"))
        if reason is None:
            return path
        tried.append(f"{why}={place} ({reason})")
    raise ConfigError(
        f"{NO_ROOT}; set SCRATCHENV_ROOT, or in the config file `root = \"/path\"`, "
        f"`cluster = \"<name>\"` (for /scratch/<name>/users/{user}) or "
        f"`profile = \"<name>\"` (one of: {', '.join(sorted(profiles()))}). Tried: "
        + "; ".join(tried)
    )


def profiles() -> dict[str, dict[str, Any]]:
    """The built-in cluster profiles (profiles.toml), by name."""
    text = (resources.files("scratchenv.config") / "profiles.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)
