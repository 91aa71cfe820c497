"""The settings model: where the scratch root is and how activation behaves.

Built in `load_settings()`, never at import. Beside it, one job each: the sources and their
order (layers.py), the [tables] and tiers (sections.py), a profile's or centre's defaults
(profiles.py), an invalid value's one line (messages.py), which source gave each value
(sources.py). Their public names are importable from here too.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from scratchenv.config import detect, layers, messages, placeholders
from scratchenv.config.catalogue import Catalogue, VariableName, check_variable_name, load_default
from scratchenv.config.centres import QuotaSource
from scratchenv.config.layers import (  # noqa: F401 (importable from here too)
    DOTENV_FILE,
    ENV_PREFIX,
    AllowedDotEnv,
    TrustedToml,
    config_path,
)
from scratchenv.config.nodelocal import pattern_problem
from scratchenv.config.profiles import (  # noqa: F401 (importable from here too)
    centre_defaults,
    merged,
    profile_defaults,
)
from scratchenv.config.records import Project
from scratchenv.config.sections import (  # noqa: F401 (importable from here too)
    DEFAULT_TIERS,
    GROUPS,
    Checkpoints,
    LoginTable,
    PurgeTable,
    Size,
    ThresholdsTable,
    Tier,
    default_project_var,
    group_name,
    nesting_problem,
)
from scratchenv.errors import ConfigError
from scratchenv.locations import current_user, home_dir
from scratchenv.realpaths import same_place, without_dots


class Settings(BaseSettings):
    """Everything scratchenv needs to know, from every source, validated once."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        # None: pydantic-settings' own dotenv source would read .env.local unasked, blocking
        # on a FIFO; AllowedDotEnv reads it, and only when allowed.
        env_file=None,
        dotenv_filtering="match_prefix",
        validate_default=True,
    )

    root: Path | None = Field(default=None, description="the scratch root; detected when unset")
    persistent_root: Path | None = Field(
        default=None, description="a second, non-purged root (e.g. $WORK) for the groups "
        "`tiers` puts there; unset: everything on the scratch root"
    )
    tiers: dict[str, Tier] = Field(
        default_factory=dict, description="group -> \"scratch\" or \"persistent\" (defaults: "
        "env, toolchain and checkpoints persistent when persistent_root is set)"
    )
    scratch_subdir: str | None = Field(
        default=None, description="a detected $SCRATCH is the file system's top: use "
        "$SCRATCH/<this> ({user} is $USER), e.g. \"mylab/{user}\""
    )
    project: str | None = Field(default=None, description="project name, e.g. nanochat")
    project_var: VariableName | None = Field(
        default=None, description="the project's data variable (default: <PROJECT>_BASE_DIR)"
    )
    cluster: str | None = Field(default=None, description="<cluster> in /scratch/<cluster>/users")
    profile: str | None = Field(default=None, description="a cluster profile from profiles.toml")
    root_pattern: str | None = Field(
        default=None,
        description="the root with {user} for the user name, e.g. /scratch/{user} (a site's "
        "or profile's layout; `root` wins over it)",
    )
    node_local: str | None = Field(
        default=None,
        description="your node-local directory inside a Slurm job, for the node-local caches "
        "({user}, {env[NAME]}), e.g. \"/local/{user}\" or \"/lscratch/{env[SLURM_JOB_ID]}\"; "
        "unset: the recognised centre's documented one, else $SLURM_TMPDIR (else $TMPDIR)"
        "/scratchenv-{user}",
    )
    quota_source: QuotaSource | None = Field(
        default=None,
        description="the quota tool status and check-space ask first, whatever the file "
        "system's type (unset: the recognised centre's documented tool, else by type: lfs on "
        "Lustre, mmlsquota on GPFS, then quota)",
    )
    disable: list[str] = Field(default_factory=list, description="catalogue tools or variables")
    enable: list[str] = Field(
        default_factory=list, description="opt-in catalogue tools or variables to turn on"
    )
    vars: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="your own entries: {VAR = {path = ...}}"
    )
    activate_venv: bool = Field(default=False, description="put the project venv's bin on PATH")
    keep_site_values: bool = Field(
        default=False, description="leave a value already set outside home (by the site) alone"
    )
    missing_root: Literal["warn", "silent"] = Field(
        default="warn", description="what activation does when the root is not mounted"
    )
    thresholds: ThresholdsTable = Field(default_factory=ThresholdsTable)
    checkpoints: Checkpoints = Field(default_factory=Checkpoints)
    purge: PurgeTable = Field(default_factory=PurgeTable)
    login: LoginTable = Field(default_factory=LoginTable)
    _persistent_pattern: str | None = PrivateAttr(default=None)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, *(layer.source(settings_cls) for layer in layers.layers()))

    @model_validator(mode="before")
    @classmethod
    def _fill_from_profile(cls, data: Any) -> Any:
        """The layer under the sources (a profile's or the recognised centre's defaults,
        layers.defaults): every source above fills first, key by key within tables."""
        if not isinstance(data, dict):
            return data
        below = layers.defaults(data)
        return data if below is None else merged(below[1], data)

    @field_validator("project")
    @classmethod
    def _project_is_a_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", value):
            raise ValueError(f"{value!r} is not a project name (letters, digits, . _ -)")
        return value

    @field_validator("root", "persistent_root", mode="before")
    @classmethod
    def _root_is_not_empty(cls, value: Any) -> Any:
        # SCRATCHENV_ROOT=$SCRATCH with SCRATCH unset; Path("") would be "." (relative).
        if isinstance(value, str) and not value.strip():
            raise ValueError("empty; set it to an absolute path, or unset it to detect the root")
        return value

    @field_validator("root", "persistent_root")
    @classmethod
    def _root_is_absolute(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return None
        if info.field_name == "persistent_root":
            rest = str(value).replace("{user}", "")
            if "{" in rest or "}" in rest:
                raise ValueError(f"{str(value)!r}: the only placeholder is {{user}}")
        value = value.expanduser()
        if not value.is_absolute():
            which = "the scratch root" if info.field_name == "root" else "the persistent root"
            raise ValueError(f"{value} is relative; {which} must be an absolute path")
        return without_dots(value)  # exported to every tool: /s/y, not /s/x/../y

    @field_validator("tiers")
    @classmethod
    def _tiers_name_groups(cls, value: dict[str, Tier]) -> dict[str, Tier]:
        unknown = sorted({group_name(group) for group in value} - set(GROUPS))
        if unknown:
            raise ValueError(f"unknown group {', '.join(unknown)}; groups: {', '.join(GROUPS)}")
        return {group_name(group): tier for group, tier in value.items()}

    @field_validator("scratch_subdir")
    @classmethod
    def _subdir_is_relative(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = value.split("/")
        if value.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"{value!r} must be a relative path under $SCRATCH, without ..")
        placeholders.check(value, ("user", "cluster"))
        return value

    @field_validator("root_pattern")
    @classmethod
    def _pattern_names_the_user(cls, value: str | None) -> str | None:
        if value is None:
            return None
        placeholders.check(value, ("user", "cluster"))
        example = placeholders.substitute(value, {"user": "u", "cluster": "c"})
        if "{user}" not in value or not example.startswith("/"):
            raise ValueError(f"{value!r} must be an absolute path containing {{user}}")
        return value

    @field_validator("node_local")
    @classmethod
    def _node_local_is_a_pattern(cls, value: str | None) -> str | None:
        problem = None if value is None else pattern_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("vars")
    @classmethod
    def _own_entries_are_named_well(cls, value: dict[str, dict[str, Any]]) -> dict:
        shipped = {entry.var for entry in load_default().entries}
        for name in value:
            check_variable_name(name, own=name not in shipped)
        return value

    @field_validator("project_var")
    @classmethod
    def _project_var_is_a_location(cls, value: str | None) -> str | None:
        return None if value is None else check_variable_name(value, own=True)

    @model_validator(mode="after")
    def _project_gives_a_variable(self) -> Settings:
        if self.project and not self.project_var:
            name = default_project_var(self.project)
            try:
                # <PROJECT>_BASE_DIR is a data location by construction: a project named
                # libfoo or myconfig keeps its name; the denylist still holds.
                check_variable_name(name, own=False)
            except ValueError:
                raise ConfigError(
                    f"project {self.project!r} gives the data variable {name}, which no shell "
                    "can export; set project_var (SCRATCHENV_PROJECT_VAR) to a valid name"
                ) from None
        return self

    @model_validator(mode="after")
    def _settle_root(self) -> Settings:
        if self.root is None and self.root_pattern:
            try:
                self.root = Path(placeholders.substitute(
                    self.root_pattern, {"user": current_user(), "cluster": self.cluster}))
            except placeholders.MissingValue:
                raise ConfigError(f"root_pattern {self.root_pattern!r} needs {{cluster}}: "
                                  "set cluster (SCRATCHENV_CLUSTER)") from None
            reason = detect.problem_with_root(self.root, home=self.home)
            if reason:
                raise ConfigError(f"scratch root from root_pattern unusable: {reason}")
        elif self.root is None:
            self.root = detect.detect_root(os.environ, current_user(), self.cluster,
                                           self.scratch_subdir)
        else:
            reason = detect.problem_with_root(self.root, group_ok=True,
                                             home=self.home)
            if reason and (detect.unsafe_root(self.root, self.home)
                           or not detect.awaits_mount(self.root)):
                raise ConfigError(f"scratch root unusable: {reason}")
        return self

    @model_validator(mode="after")
    def _settle_persistent_root(self) -> Settings:
        if self.persistent_root is not None and "{user}" in str(self.persistent_root):
            # A site's persistent_root for every user, e.g. /work/{user}: this user's.
            self._persistent_pattern = str(self.persistent_root)
            self.persistent_root = Path(self._persistent_pattern.replace("{user}",
                                                                         current_user()))
        if self.persistent_root is None:
            if "persistent" in self.tiers.values():
                raise ConfigError("tiers puts a group on the persistent root, but "
                                  "persistent_root is not set")
            return self
        reason = detect.problem_with_root(self.persistent_root, group_ok=True)
        if reason and not detect.awaits_mount(self.persistent_root):
            raise ConfigError(f"persistent root unusable: {reason}")
        if same_place(self.persistent_root, self.scratch_root):
            # Like one inside it: what is to be kept would be purged with scratch.
            raise ConfigError(f"persistent root unusable: {self.persistent_root} is the "
                              f"scratch root {self.scratch_root} itself, which is purged; "
                              "unset persistent_root or name a directory outside it")
        nested = nesting_problem(self.scratch_root, self.persistent_root)
        if nested:
            raise ConfigError(f"persistent root unusable: {nested}")
        return self

    # Derived values: the rest of scratchenv reads these, never re-derives them.

    @property
    def persistent_pattern(self) -> str | None:
        """persistent_root as it was set with `{user}` (a modulefile rebuilds it), if so."""
        return self._persistent_pattern

    @property
    def scratch_root(self) -> Path:
        assert self.root is not None  # settled by the validator
        return self.root

    def tier_of(self, group: str) -> Tier:
        """Which root holds `group` (a catalogue group, or "checkpoints")."""
        if self.persistent_root is None:
            return "scratch"
        group = group_name(group)
        return self.tiers.get(group, DEFAULT_TIERS.get(group, "scratch"))

    def root_for(self, group: str) -> Path:
        """The root that holds `group`: the one place that decides it."""
        if self.tier_of(group) == "persistent":
            assert self.persistent_root is not None
            return self.persistent_root
        return self.scratch_root

    @property
    def home(self) -> Path:
        return Path(home_dir(os.environ))

    @property
    def project_layout(self) -> Project | None:
        if not self.project:
            return None
        data_var = self.project_var or default_project_var(self.project)
        return Project(
            name=self.project,
            data_var=data_var,
            venv_dir=f"{self.project}-venv",
            data_dir=f"{self.project}-cache",
        )

    def catalogue(self) -> Catalogue:
        """The shipped catalogue, less what is disabled, plus the user's own entries."""
        base = load_default()
        known = set(base.tools()) | {e.var for e in base.entries}
        for setting, names in (("disable", self.disable), ("enable", self.enable)):
            unknown = set(names) - known
            if unknown:
                raise ConfigError(
                    f"{setting}: unknown tool or variable {', '.join(sorted(unknown))} "
                    f"(see `scratchenv catalogue`)"
                )
        return base.select(set(self.disable), set(self.enable)).extended(self.vars)


def load_settings(*, config: str | None = None, **overrides: Any) -> Settings:
    """Build the settings from every source; `overrides` are command-line flags (None = unset)
    and `config` the --config flag's file.

    Every failure becomes a one-line ConfigError naming the source and the field.
    """
    flags = {key: value for key, value in overrides.items() if value is not None}
    with layers.config_flag(config):
        if config_path().is_dir():  # pydantic-settings would skip it without a word
            raise ConfigError(f"config {config_path()} is a directory, not a TOML file")
        try:
            return Settings(**flags)
        except ValidationError as error:
            raise ConfigError(messages.one_line(error, Settings)) from None
        except SettingsError as error:
            # A list or table given as a SCRATCHENV_* variable (or in .env.local), not JSON.
            raise ConfigError(
                f"{error} (lists and tables in SCRATCHENV_* variables are JSON, "
                """e.g. SCRATCHENV_DISABLE='["wandb"]')"""
            ) from None
        except OSError as error:
            raise ConfigError(f"cannot read settings: {error}") from None


