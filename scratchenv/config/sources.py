"""Which source gave each setting its value: what `scratchenv env` shows a user or an admin.

Each settings source is read again on its own, in the settings' order (highest first), and
the first one that names a key wins, as it does when the settings are built.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic_settings import EnvSettingsSource

from scratchenv.config import detect
from scratchenv.config.settings import (
    DOTENV_FILE,
    AllowedDotEnv,
    Settings,
    TrustedToml,
    config_path,
    current_user,
    profile_defaults,
)
from scratchenv.locations import site_config_file

SHOWN = (
    "root", "root_pattern", "profile", "project", "disable", "enable", "purge.days",
    "purge.margin_days", "thresholds.home_warn", "thresholds.scratch_warn",
    "thresholds.min_free", "missing_root", "keep_site_values", "activate_venv",
)  # fmt: skip
"""The settings `env` explains, in this order."""


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}".lower()
        if isinstance(value, Mapping) and key != "vars":
            flat.update(_flat(value, name + "."))
        else:
            flat[name] = value
    return flat


def _layers(flags: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(source label, its settings flattened), highest first; the profile last."""
    layers = [
        ("command line", dict(flags)),
        ("environment (SCRATCHENV_*)", EnvSettingsSource(Settings)()),
        (DOTENV_FILE, AllowedDotEnv(Settings, env_file=DOTENV_FILE)()),  # only when allowed
        (f"config {config_path()}", TrustedToml(Settings, config_path(), "config")()),
        (f"site config {site_config_file(os.environ)}",
         TrustedToml(Settings, site_config_file(os.environ), "site config")()),
    ]
    flat = [(label, _flat(values)) for label, values in layers]
    profile = next((values["profile"] for _, values in flat if values.get("profile")), None)
    if profile:
        flat.append((f"profile {profile}", _flat(profile_defaults(str(profile)))))
    return flat


def _root_source(settings: Settings, found: dict[str, str]) -> str:
    if "root" in found:
        return found["root"]
    if settings.root_pattern:
        return f"root_pattern, from {found.get('root_pattern', 'default')}"
    for place, why in detect.candidates(os.environ, current_user(), settings.cluster):
        if str(settings.scratch_root) == place:
            return f"detected: {why}"
    return "detected"


def explain(settings: Settings, flags: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(setting, value, source) for the settings in SHOWN."""
    found: dict[str, str] = {}
    for label, values in _layers(flags):
        for key in values:
            found.setdefault(key, label)
    rows = []
    dumped = _flat(settings.model_dump(mode="json"))
    for key in SHOWN:
        value = dumped.get(key)
        source = _root_source(settings, found) if key == "root" else found.get(key, "default")
        rows.append((key, "" if value is None else str(value), source))
    return rows

