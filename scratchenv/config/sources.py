"""Which source gave each setting its value: what `scratchenv env` shows a user or an admin.

Each settings source is read again on its own, in the settings' order (layers.py, highest
first), and the first one that names a key wins, as it does when the settings are built.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from scratchenv.config import centres, detect, layers
from scratchenv.config.settings import Settings
from scratchenv.locations import current_user

SHOWN = (
    "root", "root_pattern", "profile", "persistent_root", "project", "disable", "enable",
    "purge.days", "purge.by", "purge.margin_days", "thresholds.home_warn",
    "thresholds.scratch_warn", "thresholds.min_free", "missing_root", "keep_site_values",
    "activate_venv", "node_local", "quota_source",
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
    """(source label, its settings flattened), highest first; the profile's or centre's
    defaults last. `flags` are the global flags given (`config` names the config file)."""
    given = {key: value for key, value in flags.items() if key != "config"}
    flat = [(layers.COMMAND_LINE, _flat(given))]
    flat += [(layer.label, _flat(layer.values(Settings)))
             for layer in layers.layers(flags.get("config"))]
    profile = next((values["profile"] for _, values in flat if values.get("profile")), None)
    named_root = any("root" in values or "root_pattern" in values for _, values in flat)
    below = layers.defaults({"profile": profile, "root": named_root})
    if below is not None:
        flat.append((below[0], _flat(below[1])))
    return flat


def _root_source(settings: Settings, found: dict[str, str]) -> str:
    if "root" in found:
        return found["root"]
    if settings.root_pattern:
        return f"root_pattern, from {found.get('root_pattern', 'default')}"
    for place, why in detect.candidates(os.environ, current_user(), settings.cluster,
                                        settings.scratch_subdir):
        if str(settings.scratch_root) == place:
            return f"detected: {why}"
    return "detected"


def _centre_row(found: dict[str, str], profile: str | None) -> tuple[str, str, str]:
    """Which centre's documentation the settings follow, and how it was known."""
    if profile and profile in centres.table():
        return "centre", centres.table()[profile].name, f"profile {profile}"
    recognised = centres.recognise(os.environ, current_user())
    if recognised is None:
        return "centre", "", "none recognised (centres.toml)"
    if "root" in found or "root_pattern" in found or profile:
        return ("centre", recognised.centre.name,
                f"recognised from {recognised.evidence}; its defaults unused: your own "
                f"root or profile (profile = \"{recognised.centre.key}\" applies them)")
    return "centre", recognised.centre.name, f"recognised from {recognised.evidence}"


def explain(settings: Settings, flags: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(setting, value, source) for the settings in SHOWN, the centre first."""
    found: dict[str, str] = {}
    for label, values in _layers(flags):
        for key in values:
            found.setdefault(key, label)
    rows = [_centre_row(found, settings.profile)]
    dumped = _flat(settings.model_dump(mode="json"))
    for key in SHOWN:
        value = dumped.get(key)
        source = _root_source(settings, found) if key == "root" else found.get(key, "default")
        rows.append((key, "" if value is None else str(value), source))
    return rows

