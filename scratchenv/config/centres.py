"""The centres table (centres.toml): which HPC centre this is, and what its documentation says.

A centre is recognised from what its documentation names, strongest sign first across all
centres: a variable only it sets (`$RCAC_SCRATCH`), a set of variables together, or a
variable's documented value; then a documented host name of this machine
(`*.delta.ncsa.illinois.edu`, hosts.py); then a documented path shape that exists and is the
user's (`/scratch/gpfs/$USER`). Its row then
names the scratch root first (detect.py) and gives the settings defaults a profile would
(`defaults`): the persistent root, the purge policy, the quota tool to ask (`quota_source`)
and the node-local directory in a job (`node_local`).

Guessed paths are looked for under SEARCH_ROOT ("/"): tests point it at a sandbox so the
machine's own /scratch never decides what they see.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scratchenv.config import hosts
from scratchenv.config.nodelocal import pattern_problem
from scratchenv.config.placeholders import substitute
from scratchenv.config.shapes import is_shape, own_directories
from scratchenv.errors import ConfigError
from scratchenv.plain import record

QuotaSource = Literal["lfs", "mmlsquota", "quota", "beegfs-ctl", "showquota", "diskusage_report"]
"""The quota tools disk/quota_sources.py can ask and read (its SOURCES has the same names)."""

SEARCH_ROOT = "/"
"""Where documented and guessed paths are looked for; tests set a sandbox."""


class Recognise(BaseModel):
    model_config = ConfigDict(extra="forbid")

    env: list[str] = Field(default_factory=list)
    env_all: list[str] = Field(default_factory=list)
    env_equals: dict[str, list[str]] = Field(default_factory=dict)
    hosts: list[str] = Field(default_factory=list)
    """Documented host names of the centre's machines, `*` for any run of characters."""
    paths: list[str] = Field(default_factory=list)

    @field_validator("hosts")
    @classmethod
    def _hosts_are_names(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not re.fullmatch(r"[a-z0-9*][a-z0-9*.-]*", pattern) or pattern.strip("*.") == "":
                raise ValueError(f"{pattern!r} is not a host name pattern (a-z 0-9 . - *)")
        return value

    @field_validator("paths")
    @classmethod
    def _paths_are_shapes(cls, value: list[str]) -> list[str]:
        return _shapes(value)


def _shapes(paths: list[str]) -> list[str]:
    for path in paths:
        if not path.startswith("/") or not is_shape(path):
            raise ValueError(f"{path!r} is not a path shape (absolute, `*` only as a whole part)")
    return paths


class Space(BaseModel):
    """How the documentation names one space (scratch or persistent)."""

    model_config = ConfigDict(extra="forbid")

    env: str | None = None
    subdir: str | None = None
    top: bool = False
    paths: list[str] = Field(default_factory=list)
    shape: str | None = None

    @field_validator("paths")
    @classmethod
    def _paths_are_shapes(cls, value: list[str]) -> list[str]:
        return _shapes(value)


class PurgeRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(ge=1)
    by: Literal["atime", "mtime"] | None = None


class Centre(BaseModel):
    """One row of centres.toml."""

    model_config = ConfigDict(extra="forbid")

    key: str
    name: str
    source: list[str] = Field(min_length=1)
    checked: str
    recognise: Recognise = Field(default_factory=Recognise)
    scratch: Space = Field(default_factory=Space)
    persistent: Space = Field(default_factory=Space)
    purge: PurgeRule | None = None
    quota: str | None = None
    quota_source: QuotaSource | None = None
    """The documented quota tool, when scratchenv can read it: the `quota_source` default."""
    node_local: str | None = None
    node_local_dir: str | None = None
    """The documented node-local directory as a `node_local` setting: its default."""
    helpers: list[str] = Field(default_factory=list)
    special: str | None = None
    notes: str | None = None

    @field_validator("source")
    @classmethod
    def _sources_are_links(cls, value: list[str]) -> list[str]:
        for url in value:
            if not re.fullmatch(r"https?://\S+", url):
                raise ValueError(f"{url!r} is not a link to the centre's documentation")
        return value

    @field_validator("node_local_dir")
    @classmethod
    def _node_local_dir_is_a_setting(cls, value: str | None) -> str | None:
        problem = None if value is None else pattern_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("checked")
    @classmethod
    def _checked_is_a_date(cls, value: str) -> str:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")
        return value

    @property
    def short(self) -> str:
        """The name without its list of clusters: "Purdue RCAC"."""
        return self.name.split(" (")[0]

    @property
    def recognisable(self) -> bool:
        r = self.recognise
        return bool(r.env or r.env_all or r.env_equals or r.hosts or r.paths)


def parse(text: str, where: str = "centres.toml") -> dict[str, Centre]:
    """The rows of a centres table, by key; a ConfigError naming the row that is wrong."""
    centres: dict[str, Centre] = {}
    for key, row in tomllib.loads(text).items():
        try:
            centres[key] = Centre(key=key, **row)
        except (ValidationError, TypeError) as error:
            raise ConfigError(f"{where} [{key}]: {error}".replace("\n", " ")) from None
    return centres


@cache
def table() -> dict[str, Centre]:
    """The shipped centres, in the file's order."""
    text = (resources.files("scratchenv.config") / "centres.toml").read_text(encoding="utf-8")
    return parse(text)


def under_search_root(path: str) -> str:
    """`path` (absolute) as looked for: under SEARCH_ROOT."""
    return os.path.join(SEARCH_ROOT, path.lstrip("/"))


def owned_matches(pattern: str, user: str) -> list[str]:
    """Existing directories of the user's own that match a documented path shape."""
    return own_directories(under_search_root(pattern.replace("{user}", user)))


@record
class Recognition:
    centre: Centre
    evidence: str
    """What it was recognised from, as a user reads it: "$RCAC_SCRATCH"."""


def recognise(environ: Mapping[str, str], user: str) -> Recognition | None:
    """The centre whose documented signs are here, and which sign it was: a variable of any
    centre beats a host name, which beats a path (a path shape such as /scratch/gpfs/$USER
    may exist elsewhere too; a host name is this machine's own)."""
    rows = table().values()
    for centre in rows:
        if evidence := _variables(centre.recognise, environ):
            return Recognition(centre, evidence)
    if any(centre.recognise.hosts for centre in rows):
        own = hosts.names()
        for centre in rows:
            if found := hosts.matching(centre.recognise.hosts, own):
                return Recognition(centre, f"host {found[0]} ({found[1]})")
    for centre in rows:
        for pattern in centre.recognise.paths:
            if owned_matches(pattern, user):
                return Recognition(centre, f"{pattern.replace('{user}', '$USER')} (yours)")
    return None


def _variables(signs: Recognise, environ: Mapping[str, str]) -> str | None:
    for name in signs.env:
        if environ.get(name):
            return f"${name}"
    if signs.env_all and all(environ.get(name) for name in signs.env_all):
        return " + ".join(f"${name}" for name in signs.env_all)
    for name, values in signs.env_equals.items():
        value = (environ.get(name) or "").rstrip("/")
        if value and value in {under_search_root(v).rstrip("/") for v in values}:
            return f"${name}={value}"
    return None


def space_root(space: Space, environ: Mapping[str, str], user: str) -> tuple[str, str] | None:
    """(place, why) from a documented variable, with the documented subdirectory; None when
    the variable is unset or names a file system's top (the user's directory unknown)."""
    if not space.env or not environ.get(space.env) or space.top:
        return None
    value = environ[space.env].rstrip("/") or "/"
    if space.subdir:
        subdir = substitute(space.subdir, {"user": user})
        return f"{value}/{subdir}", f"${space.env}/{space.subdir}"
    return value, f"${space.env}"


def defaults(centre: Centre, environ: Mapping[str, str], user: str,
             strict: bool = False) -> dict[str, Any]:
    """The settings the centre implies, as a profile's table: `{env[NAME]}` and `{user}`
    left for the settings to fill in (settings._expand). A documented persistent variable
    that is unset is left out, or with `strict` (the centre named as a profile) kept, so
    that filling it in says which variable is missing."""
    found: dict[str, Any] = {}
    space = centre.persistent
    if space.env and not space.top and (strict or environ.get(space.env)):
        subdir = f"/{space.subdir}" if space.subdir else ""
        found["persistent_root"] = "{env[" + space.env + "]}" + subdir
    elif space.paths:
        matches = [m for pattern in space.paths for m in owned_matches(pattern, user)]
        if len(matches) == 1:  # with several (one per project), which one is the user's call
            found["persistent_root"] = matches[0].replace("{", "{{").replace("}", "}}")
    if centre.purge:
        found["purge"] = {"days": centre.purge.days,
                          **({"by": centre.purge.by} if centre.purge.by else {})}
    if centre.quota_source:
        found["quota_source"] = centre.quota_source
    if centre.node_local_dir:  # its placeholders are filled in a job, not here: kept as braces
        found["node_local"] = centre.node_local_dir.replace("{", "{{").replace("}", "}}")
    return found


def describe(centre: Centre) -> dict[str, str]:
    """What `env` and README say of a centre: detected from, tiers, purge."""
    signs = centre.recognise
    detected = [f"${n}" for n in signs.env]
    if signs.env_all:
        detected.append(" + ".join(f"${n}" for n in signs.env_all))
    detected += [f"${n}={'|'.join(v)}" for n, v in signs.env_equals.items()]
    detected += [f"host {h}" for h in signs.hosts]
    detected += [p.replace("{user}", "$USER") for p in signs.paths]
    return {
        "detected": ", ".join(detected) or "not recognised: set profile",
        "scratch": _space_text(centre.scratch),
        "persistent": _space_text(centre.persistent),
        "purge": (f"{centre.purge.days} days" + (f" ({centre.purge.by})" if centre.purge.by
                                                  else "")) if centre.purge else "none documented",
    }


def _space_text(space: Space) -> str:
    if space.env and space.top:
        return f"${space.env}/<your dir> (scratch_subdir)"
    if space.env:
        return f"${space.env}" + (f"/{space.subdir.replace('{user}', '$USER')}"
                                  if space.subdir else "")
    if space.paths:
        return " or ".join(p.replace("{user}", "$USER") for p in space.paths)
    return f"{space.shape} (set it)" if space.shape else "-"


def path_of_table() -> Path:
    return Path(str(resources.files("scratchenv.config") / "centres.toml"))
