"""Finding the scratch root: the places centres put it, tried in a fixed order."""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from scratchenv.config import centres
from scratchenv.config.placeholders import substitute
from scratchenv.config.trust import root_problem
from scratchenv.errors import ConfigError
from scratchenv.locations import home_dir
from scratchenv.realpaths import is_mount_point, is_within, nearest_existing


def candidates(environ: Mapping[str, str], user: str, cluster: str | None,
               scratch_subdir: str | None = None) -> list[tuple[str, str]]:
    """(place, why) pairs in the order they are tried; SCRATCHENV_ROOT is the settings' job.

    Documented variables first: the recognised centre's, then every other centre's
    ($RCAC_SCRATCH, $MYSCRATCH, $PSCRATCH, ...), then $SCRATCH. Then path guesses, which
    `detect_root` takes only when they exist and are the user's. `scratch_subdir` is for
    sites whose $SCRATCH is the file system's top (FASRC: $SCRATCH/<lab>/$USER): the root
    is $SCRATCH/<scratch_subdir> with {user} filled in.
    """
    found = centres.recognise(environ, user)
    rows = list(centres.table().values())
    if found:
        rows.remove(found.centre)
        rows.insert(0, found.centre)
    places: list[tuple[str, str]] = []
    for centre in rows:
        space = centre.scratch
        if space.env == "SCRATCH" and centre is not (found and found.centre):
            continue  # plain $SCRATCH: below, unless the recognised centre documents it
        if space.env == "SCRATCH" and scratch_subdir:
            continue  # the user's own layout under $SCRATCH wins: below
        named = centres.space_root(space, environ, user)
        if named and named[0] not in {p for p, _ in places}:
            places.append((named[0], f"{named[1]} ({centre.short})"))
    if environ.get("SCRATCH") and not (found and found.centre.scratch.top and not scratch_subdir):
        if scratch_subdir:
            try:
                subdir = substitute(scratch_subdir, {"user": user, "cluster": cluster})
            except ValueError as problem:
                raise ConfigError(f"scratch_subdir: {problem}") from None
            top = environ["SCRATCH"].rstrip("/")
            places.append((f"{top}/{subdir}", "$SCRATCH/<scratch_subdir>"))
        elif environ["SCRATCH"] not in {p for p, _ in places}:
            places.append((environ["SCRATCH"], "$SCRATCH"))
    if cluster:
        places.append((f"/scratch/{cluster}/users/{user}", "/scratch/<cluster>/users/$USER"))
    else:
        for match in centres.owned_matches("/scratch/*/users/{user}", user):
            places.append((match, "/scratch/<cluster>/users/$USER"))
    for centre in rows:
        for pattern in centre.scratch.paths:
            shown = pattern.replace("{user}", "$USER")
            matches = centres.owned_matches(pattern, user)
            if len(matches) == 1:
                places.append((matches[0], f"{shown} ({centre.short})"))
    for pattern in GUESSES:
        places.append((centres.under_search_root(substitute(pattern, {"user": user})),
                       pattern.replace("{user}", "$USER")))
    return places


GUESSES = ("/scratch/{user}", "/lustre/scratch/{user}", "/gpfs/scratch/{user}")
"""Layouts common in centres' documentation, tried last and only when the directory exists
and is the user's: a guess never creates a root under a parent the user does not own."""


def is_guess(why: str) -> bool:
    """A place found by its shape, not named by a variable or by the user's `cluster`."""
    return not why.startswith("$")


def awaits_mount(root: Path) -> bool:
    """True when `root` is missing below a directory the user cannot write that is not a
    mounted file system itself: scratch's mount point on a node where it is not mounted.
    Activation still points there (`missing_root` says whether to warn); a missing root
    below a mounted file system (`/lustre/typo/u`) is a mistake instead."""
    if not root.is_absolute() or root.exists():
        return False
    ancestor = Path(nearest_existing(root))
    return (ancestor.is_dir() and not os.access(ancestor, os.W_OK | os.X_OK)
            and not is_mount_point(ancestor))


def unsafe_root(root: Path, home: str | Path | None = None) -> str | None:
    """Why `root` must never be the root, whether it exists or not: home, inside home or
    around it, or on a path another user can change (trust.root_problem)."""
    home = str(home) if home is not None else home_dir(os.environ)
    if is_within(root, home):
        where = "is your home" if is_within(home, root) else "is inside your home"
        return f"{root} {where} ({home}); the root must be on scratch, outside home"
    if is_within(home, root):
        return f"{root} contains your home ({home}); the root must be on scratch, outside home"
    return root_problem(str(root))


def problem_with_root(
    root: Path, *, parent_must_exist: bool = False, group_ok: bool = False,
    home: str | Path | None = None,
) -> str | None:
    """Why `root` cannot be the scratch root, or None when it can.

    A root must be an existing directory owned by the user, or creatable: for an explicit
    setting under any ancestor the user may write; for a guess, directly in an existing,
    writable parent (a guess must not conjure /scratch out of a writable /). It is neither
    home, nor inside home, nor around it (`clean` would delete ~/.cargo), and no other user
    can change the directories that lead to it (trust.root_problem). With `group_ok` (a root
    the user set explicitly) a group project directory also does: one of the user's groups
    owns it, may write it, and it is not world-writable.
    """
    if not root.is_absolute():
        return f"{root} is not an absolute path"
    unsafe = unsafe_root(root, home)
    if unsafe:
        return unsafe
    if root.exists():
        if not root.is_dir():
            return f"{root} exists but is not a directory"
        owner = root.stat().st_uid
        if owner != os.getuid():
            if group_ok and is_group_root(root):
                return None
            return f"{root} is owned by uid {owner}, not by you (uid {os.getuid()})"
        return None
    ancestor = root.parent if parent_must_exist else Path(nearest_existing(root))
    if ancestor.exists() and not ancestor.is_dir():
        return f"{root} does not exist and {ancestor} is not a directory"
    if not ancestor.is_dir():
        return f"{root} does not exist and neither does {ancestor}"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"{root} does not exist and {ancestor} is not writable by you"
    return None


def is_group_root(root: Path | str) -> bool:
    """A shared project directory: owned by one of the user's groups, group-writable (and
    writable by the user), not world-writable."""
    try:
        st = os.stat(root)
    except OSError:
        return False
    return (st.st_gid in {os.getgid(), *os.getgroups()}
            and bool(st.st_mode & stat.S_IWGRP) and not st.st_mode & stat.S_IWOTH
            and os.access(root, os.W_OK | os.X_OK))


NO_ROOT = "no scratch root found"
"""How the error that no candidate is usable begins (lint-scripts runs without a root)."""


def detect_root(environ: Mapping[str, str], user: str, cluster: str | None,
                scratch_subdir: str | None = None) -> Path:
    """The first usable candidate; otherwise an error naming every place tried.

    A place a variable names (or the user's `cluster` layout) may still be created; a
    guessed place must already exist and be the user's own."""
    tried = ["SCRATCHENV_ROOT (unset)"]
    if not environ.get("SCRATCH"):
        tried.append("$SCRATCH (unset)")
    found = centres.recognise(environ, user)
    if found and found.centre.scratch.top and not scratch_subdir:
        tried.append(f"${found.centre.scratch.env} (the top of {found.centre.short}'s scratch, "
                     "not your directory)")
    places = candidates(environ, user, cluster, scratch_subdir)
    if not cluster and not any(why.startswith("/scratch/<cluster>") for _, why in places):
        tried.append(f"/scratch/<cluster>/users/{user} (no /scratch/*/users/{user}; "
                     "set `cluster`)")
    for place, why in places:
        path = Path(place)
        explicit = why.startswith("/scratch/<cluster>") and cluster
        if is_guess(why) and not explicit and not path.is_dir():
            reason: str | None = "does not exist"
        else:
            reason = problem_with_root(path, parent_must_exist=bool(explicit))
        if reason is None:
            return path
        tried.append(f"{why}={place} ({reason})")
    raise ConfigError(
        f"{NO_ROOT}; set SCRATCHENV_ROOT, or in the config file `root = \"/path\"`, "
        + _centre_advice(found)
        + f"`cluster = \"<name>\"` (for /scratch/<name>/users/{user}) or "
        f"`profile = \"<name>\"` (one of: {', '.join(profile_names())}). Tried: "
        + "; ".join(tried)
    )


def _centre_advice(found: centres.Recognition | None) -> str:
    """The line a recognised centre's layout needs: FASRC's `scratch_subdir`."""
    if not found or not found.centre.scratch.top:
        return ""
    shape = found.centre.scratch.shape or ""
    subdir = shape.split("/", 1)[1] if "/" in shape else "<your dir>/{user}"
    return f"`scratch_subdir = \"{subdir.replace('<user>', '{user}')}\"` ({found.centre.short}), "


def profile_names() -> list[str]:
    """Every name `profile` takes: profiles.toml's and the centres'."""
    return sorted({*profiles(), *centres.table()})


def profiles() -> dict[str, dict[str, Any]]:
    """The built-in cluster profiles (profiles.toml), by name."""
    text = (resources.files("scratchenv.config") / "profiles.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)
