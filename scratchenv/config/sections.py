"""The settings' sections: thresholds, login, purge, checkpoints (each a [table] in the
config file, validated here and carried downstream as records.py's plain records), and the
tiers' vocabulary (which groups a root holds; two roots that cannot be tiers)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from scratchenv.errors import ConfigError
from scratchenv.realpaths import is_within
from scratchenv.units import parse_size


def _size(value: Any) -> int:
    try:
        return parse_size(value)
    except ConfigError as error:  # a ValueError, so that pydantic names the setting
        raise ValueError(str(error)) from None


Size = Annotated[int, BeforeValidator(_size)]


class ThresholdsTable(BaseModel):
    """Sizes that turn into warnings and failures (`30G`, `512M`, or bytes): records.Thresholds."""

    model_config = ConfigDict(extra="forbid")

    home_warn: Size = Field(default=10 * 1024**3, description="warn when home uses more")
    scratch_warn: Size = Field(default=100 * 1024**3, description="warn when scratch uses more")
    min_free: Size = Field(default=10 * 1024**3, description="scratch free space required")
    large_dir: Size = Field(
        default=1024**3, description="doctor reports a home directory no entry knows above this"
    )
    many_files: int = Field(
        default=100_000, ge=1,
        description="doctor reports one holding more entries than this (inode quotas)",
    )
    large_venv: Size = Field(
        default=100 * 1024**2,
        description="doctor reports, and migrate moves, a checkout's .venv in home above this",
    )
    home_growth: Size = Field(
        default=1024**3, description="the login warns when home grew more since the last look"
    )
    quota_near: float = Field(
        default=0.9, gt=0, le=1,
        description="a quota counts as near at this share of its nearest limit (soft, else hard)",
    )


class LoginTable(BaseModel):
    """What an interactive login says about home, from the last look (no process at login):
    records.Login."""

    model_config = ConfigDict(extra="forbid")

    warn: bool = Field(default=True, description="one line when home is near its limit")
    look_every_hours: float = Field(
        default=6, gt=0, description="an older look is refreshed in the background at login"
    )


class PurgeTable(BaseModel):
    """The scratch file system's purge policy: files unused for `days` are deleted:
    records.Purge."""

    model_config = ConfigDict(extra="forbid")

    days: int | None = Field(
        default=None, ge=1, description="purge age in days (unset: scratch is not purged)"
    )
    margin_days: int = Field(
        default=7, ge=0, description="warn this many days before a file reaches the purge age"
    )
    by: Literal["atime", "mtime"] | None = Field(
        default=None,
        description="what the purge looks at: atime (unread) or mtime (unwritten); unset: "
                    "the later of the two",
    )


class Checkpoints(BaseModel):
    """Where each worktree's (or named project's) checkpoints go, and how cleanup judges them."""

    model_config = ConfigDict(extra="forbid")

    layout: str = Field(
        default="checkpoints_{id}",
        description="checkpoint directory under the root; {id} is <parent>_<worktree> or the "
        "project name, and must be in the last part of the path",
    )
    writing_seconds: int = Field(
        default=300, ge=0,
        description="a checkpoint without trainer_state.json that changed this recently is "
        "still being written: cleanup leaves it alone",
    )

    @field_validator("layout")
    @classmethod
    def _layout_is_relative_with_id(cls, value: str) -> str:
        parts = value.split("/")
        if value.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"{value!r} must be a relative path under the root, without ..")
        if value.count("{id}") != 1 or "{id}" not in parts[-1]:
            raise ValueError(f"{value!r} must contain {{id}} once, in its last part")
        if "{" in value.replace("{id}", "") or "}" in value.replace("{id}", ""):
            raise ValueError(f"{value!r}: the only placeholder is {{id}}")
        return value


def default_project_var(project: str) -> str:
    """The project's data variable unless `project_var` names one: nanochat -> NANOCHAT_BASE_DIR."""
    return re.sub(r"\W", "_", project.upper()) + "_BASE_DIR"


Tier = Literal["scratch", "persistent"]
GROUPS = ("cache", "env", "toolchain", "data", "run", "checkpoints")
"""What a tier can be chosen for: the catalogue's groups, and checkpoint directories."""
DEFAULT_TIERS: dict[str, Tier] = {"env": "persistent", "toolchain": "persistent",
                                  "checkpoints": "persistent"}
"""With a persistent root: what a purge must not delete goes there; the rest stays on scratch."""


def group_name(group: str) -> str:
    """A catalogue group in the tier vocabulary (the project venv's "venv" is an "env")."""
    return "env" if group == "venv" else group


def nesting_problem(scratch: Path, persistent: Path) -> str | None:
    """Why two roots inside one another cannot be tiers (a purge of scratch takes what is in
    it; each root's usage would count the other's), or None."""
    if is_within(persistent, scratch):
        return f"{persistent} is inside the scratch root {scratch}, which is purged with it"
    if is_within(scratch, persistent):
        return f"the scratch root {scratch} is inside {persistent}; use two separate directories"
    return None
