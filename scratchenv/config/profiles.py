"""A cluster profile's or the recognised centre's settings: the layer under every source
(profiles.toml, centres.toml), with `{env[NAME]}` and `{user}` filled in."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from scratchenv.config import centres, detect, placeholders
from scratchenv.errors import ConfigError
from scratchenv.locations import current_user


def profile_defaults(name: str) -> dict[str, Any]:
    """A profile's settings: profiles.toml's, or a centre's from centres.toml (which then
    needs the variables the centre documents, e.g. $WORK at TACC)."""
    profiles = detect.profiles()
    if name in profiles:
        table = profiles[name]
    elif name in centres.table():
        table = centres.defaults(centres.table()[name], os.environ, current_user(), strict=True)
    else:
        raise ConfigError(f"unknown profile {name!r}; known: {', '.join(detect.profile_names())}")
    return {key: expand(name, key, value) for key, value in table.items()}


def centre_defaults() -> dict[str, Any]:
    """The recognised centre's settings (centres.toml), only what can be known here."""
    found = centres.recognise(os.environ, current_user())
    if found is None:
        return {}
    table = centres.defaults(found.centre, os.environ, current_user())
    expanded = {key: expand(found.centre.key, key, value) for key, value in table.items()}
    persistent = expanded.get("persistent_root")
    if persistent and detect.problem_with_root(Path(persistent), group_ok=True) and not (
            detect.awaits_mount(Path(persistent))):
        del expanded["persistent_root"]  # a default, never an error: scratch alone then
    return expanded


def merged(defaults: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """`data` over `defaults`, tables key by key (a purge.margin_days you set keeps the
    profile's purge.days)."""
    result = dict(defaults)
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def expand(profile: str, key: str, value: Any) -> Any:
    """A profile's string with `{env[NAME]}` filled in from the environment, and `{user}`
    too, except in patterns (root_pattern), which keep it for the modulefiles."""
    if not isinstance(value, str):
        return value
    keep = ("user",) if key.endswith("_pattern") else ()
    values = {"cluster": profile} if keep else {"user": current_user(), "cluster": profile}
    try:
        return placeholders.substitute(value, values, env=os.environ, keep=keep)
    except placeholders.MissingValue as missing:
        raise ConfigError(f"profile {profile!r}: {key} = {value!r} needs "
                          f"${missing.placeholder.removeprefix('env[').rstrip(']')}, which is "
                          f"not set; set it, or set {key} yourself") from None
    except placeholders.PlaceholderError as problem:
        raise ConfigError(f"profile {profile!r}: {key}: {problem}") from None
