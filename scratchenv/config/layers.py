"""The settings' sources in one order, highest first, written once.

command-line flags > SCRATCHENV_* variables > `.env.local` (when allowed) > the config file
(`--config`, else $SCRATCHENV_CONFIG, else `${XDG_CONFIG_HOME:-~/.config}/scratchenv/
config.toml`) > the site config > a profile's or the recognised centre's defaults >
detection of the root. The settings class reads them in this order
(`Settings.settings_customise_sources`), `scratchenv env` shows which one gave each value
(sources.py), and an invalid value's message names the one that set it (settings.py).
"""

from __future__ import annotations

import contextlib
import os
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsError,
    TomlConfigSettingsSource,
)
from pydantic_settings.sources.utils import parse_env_vars

from scratchenv.config import centres, site, trust
from scratchenv.config.profiles import centre_defaults, profile_defaults
from scratchenv.errors import ConfigError
from scratchenv.locations import config_file, current_user, site_config_file
from scratchenv.plain import record

ENV_PREFIX = "SCRATCHENV_"
DOTENV_FILE = trust.DOTENV_FILE
COMMAND_LINE = "command line"

# The --config flag while `load_settings` builds: passed down, never written to os.environ
# (where every later reader and every child process would take it for the user's own).
_config_flag: ContextVar[str | None] = ContextVar("scratchenv_config_flag", default=None)


@contextlib.contextmanager
def config_flag(path: str | None) -> Iterator[None]:
    """Within: `--config path` names the user's config file."""
    token = _config_flag.set(path)
    try:
        yield
    finally:
        _config_flag.reset(token)


def config_path(flag: str | None = None) -> Path:
    """The user's config file: the --config flag, else $SCRATCHENV_CONFIG, else the XDG
    location."""
    chosen = flag or _config_flag.get()
    return Path(os.path.expanduser(chosen)) if chosen else Path(config_file(os.environ))


class TrustedToml(TomlConfigSettingsSource):
    """A config file, read only when nobody but the user (or root) can change it (trust.py)."""

    def __init__(self, settings_cls: type[BaseSettings], path: str | Path, what: str) -> None:
        self.what = what
        super().__init__(settings_cls, toml_file=Path(path))

    def _read_files(self, files: Any, deep_merge: bool = False) -> dict[str, Any]:
        path = str(self.toml_file_path)
        data = trust.read_config(path, self.what)
        if data is None:
            return {}
        try:
            return tomllib.loads(data.decode("utf-8"))
        except UnicodeDecodeError as error:
            raise ConfigError(f"cannot read settings: {path} is not UTF-8 text "
                              f"(byte {data[error.start]:#04x} at offset {error.start})") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML: {error}") from None


class AllowedDotEnv(DotEnvSettingsSource):
    """`.env.local` in the working directory, only when the user allowed it (trust.py)."""

    def _read_env_files(self) -> dict[str, str | None]:
        from io import StringIO

        from dotenv import dotenv_values

        text = trust.dotenv(None, os.environ).text
        if text is None:
            return {}
        values = dotenv_values(stream=StringIO(text))
        return dict(parse_env_vars(values, self.case_sensitive, self.env_ignore_empty,
                                   self.env_parse_none_str))


@record
class Layer:
    """One source of settings below the command line."""

    label: str
    """How `scratchenv env` names it: `environment (SCRATCHENV_*)`, `config <path>`."""
    blame: str
    """How an error names it: `the environment`, `config: <path>`."""
    source: Callable[[type[BaseSettings]], PydanticBaseSettingsSource]
    variables: bool = False
    """Its keys are SCRATCHENV_* names: an error names the variable."""

    def values(self, settings_cls: type[BaseSettings]) -> dict[str, Any]:
        return self.source(settings_cls)()

    def where(self, settings_cls: type[BaseSettings], loc: tuple[int | str, ...]) -> str | None:
        """How an error names this source when it sets the value at `loc`, else None."""
        try:
            values: Any = self.values(settings_cls)
        except (ConfigError, SettingsError, OSError, ValueError):
            return None
        for part in loc:
            key = next((k for k in values if str(k).lower() == str(part).lower()), None) \
                if isinstance(values, Mapping) else None
            if key is None:
                return None
            values = values[key]
        if self.variables:
            return f"{self.blame}: {ENV_PREFIX}{'__'.join(str(part) for part in loc).upper()}"
        return self.blame


def layers(config: str | None = None) -> list[Layer]:
    """The sources below the command line, highest first; `config` is the --config flag."""
    user_config = config_path(config)
    site_config = site_config_file(os.environ)
    return [
        Layer("environment (SCRATCHENV_*)", "the environment", EnvSettingsSource,
              variables=True),
        Layer(DOTENV_FILE, DOTENV_FILE,
              lambda cls: AllowedDotEnv(cls, env_file=DOTENV_FILE), variables=True),
        Layer(f"config {user_config}", f"config: {user_config}",
              lambda cls: TrustedToml(cls, user_config, "config")),
        Layer(f"site config {site_config}", f"site config: {site_config}",
              lambda cls: TrustedToml(cls, site.usable_site_config(), "site config")),
    ]


def defaults(data: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The layer under every source, given what they set: (its label, its settings), or None.

    A profile's defaults, or the recognised centre's when no root is set (a root of your own
    is your layout: name the centre's profile to use its defaults too)."""
    if data.get("profile"):
        return f"profile {data['profile']}", profile_defaults(str(data["profile"]))
    if data.get("root") or data.get("root_pattern"):
        return None
    recognised = centres.recognise(os.environ, current_user())
    if recognised is None:
        return None
    return (f"centre {recognised.centre.key} ({recognised.evidence})", centre_defaults())
