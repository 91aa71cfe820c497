"""The catalogue: which tool writes where, as reviewed data (catalogue.toml).

Each entry is keyed by the environment variable it sets. Users switch entries off and add
their own in config with the same fields (see `EntryTable`). Each is validated against
EntryTable and carried as a plain records.Entry.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, field_validator

from scratchenv.config.names import variable_name_problem
from scratchenv.config.records import Entry, Unsynced, copied, xdg_bases
from scratchenv.errors import ConfigError
from scratchenv.plain import record, replace


def check_variable_name(name: str, *, own: bool = False) -> str:
    """Reject names no shell can export and those on the denylist; with `own` (the user's
    entries, from any source), also names that are not cache or data locations (names.py).
    Return the name unchanged."""
    problem = variable_name_problem(name, own=own)
    if problem:
        raise ValueError(problem)
    return name


def check_own_name(name: str) -> str:
    return check_variable_name(name, own=True)


def _relative_inside(value: str, what: str) -> str:
    """`value` as a path that stays under its base: relative, no `..`, nothing empty."""
    parts = value.split("/")
    if not value or value.startswith(("/", "~")) or ".." in parts:
        raise ValueError(f"{value!r} must be a path relative to the {what}, without ..")
    return value


VariableName = Annotated[str, AfterValidator(check_variable_name)]
OwnVariableName = Annotated[str, AfterValidator(check_own_name)]

Group = Literal["cache", "env", "toolchain", "data", "run"]
GROUPS: dict[str, str] = {
    "cache": "the tool rebuilds or re-downloads it unasked; nothing a person made is in it",
    "env": "environments and installed tools (conda envs, pipx, uv tools, the project venv)",
    "toolchain": "compilers and their tools (rustup, Cargo)",
    "data": "data sets, models, sources, the project's data: made or fetched on purpose",
    "run": "experiment runs and their logs (W&B)",
}
"""The groups, in the order `clean` shows them, with what belongs in each."""
USER_DEFAULT_GROUP: Group = "data"
"""An entry of the user's own without a group: never a cache, so `clean caches` keeps it."""


class UnsyncedTable(BaseModel):
    """The schema of records.Unsynced (its fields are explained there): runs that exist
    nowhere else until their tool syncs them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    what: str
    runs: tuple[str, ...]
    log: str
    synced: str
    sync: str

    @field_validator("runs")
    @classmethod
    def _runs_are_inside(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            _relative_inside(pattern, "location")
        return value


class EntryTable(BaseModel):
    """The schema of records.Entry (its fields are explained there): one variable, where
    it points under scratch, and where the tool writes without it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    var: VariableName
    tool: str
    path: str
    anchor: Literal["root", "home"] = "root"
    default: str | None = None
    kind: Literal["dir", "file"] = "dir"
    path_list: bool = False
    group: Group
    keep: tuple[str, ...] = ()
    beside: tuple[str, ...] = ()
    unsynced: UnsyncedTable | None = None
    node_local: bool = False
    bin: str | None = None
    must_exist: bool = False
    docs: str = ""
    notes: str = ""
    opt_in: bool = False
    caveat: str = ""

    @field_validator("path")
    @classmethod
    def _path_is_under_its_anchor(cls, value: str) -> str:
        # `{root}/` + an absolute, `~` or `..` path would point out of the root (another
        # user's directory, say): every managed path stays under its anchor.
        return _relative_inside(value, "root (or to home)")

    @field_validator("bin")
    @classmethod
    def _bin_is_inside(cls, value: str | None) -> str | None:
        return None if value is None else _relative_inside(value, "entry's directory")

    @field_validator("keep", "beside")
    @classmethod
    def _keep_is_inside(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not name or name.startswith(("/", "~")) or ".." in name.split("/"):
                raise ValueError(f"{name!r} must be a name inside the location")
        return value

    @field_validator("default")
    @classmethod
    def _default_has_known_placeholders(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                xdg_bases(value, "~")
            except (KeyError, IndexError, ValueError):
                raise ValueError(f"{value!r}: the only placeholders are {{xdg_cache}}, "
                                 "{xdg_config} and {xdg_data}") from None
        return value


def kept_names(entry: Entry, entries: Sequence[Entry]) -> tuple[str, ...]:
    """What `clean` keeps in `entry`'s location: its `keep`, and each file pinned in home
    that its tool writes there when it is not pinned (`entry`'s default is the nearest one
    holding the file's default, as in moves.py), with the names `beside` it: `token` and
    `stored_tokens` in HF_HOME."""
    names = list(entry.keep)
    here = entry.default_path("~")
    if here is None:
        return tuple(names)
    defaults = [d for e in entries if (d := e.default_path("~")) is not None]
    for pinned in entries:
        there = pinned.default_path("~")
        if pinned.anchor != "home" or pinned.kind != "file" or there is None:
            continue
        holders = [d for d in defaults if there.startswith(d.rstrip("/") + "/")]
        if not holders or max(holders, key=len) != here:
            continue
        rel = there[len(here.rstrip("/")) + 1:]
        folder = rel.rpartition("/")[0]
        names += [rel, *(f"{folder}/{name}" if folder else name for name in pinned.beside)]
    return tuple(dict.fromkeys(names))


@record
class Catalogue:
    """Entries in their reviewed order (the order every renderer keeps)."""

    entries: tuple[Entry, ...]

    def tools(self) -> list[str]:
        return list(dict.fromkeys(entry.tool for entry in self.entries))

    def get(self, var: str) -> Entry | None:
        return next((entry for entry in self.entries if entry.var == var), None)

    def select(
        self, disabled: frozenset[str] | set[str], enabled: frozenset[str] | set[str] = frozenset()
    ) -> Catalogue:
        """Drop entries switched off by variable name or by tool key, and opt-in entries
        that are not switched on (by the same names)."""
        kept = tuple(
            e for e in self.entries
            if e.var not in disabled and e.tool not in disabled
            and (not e.opt_in or e.var in enabled or e.tool in enabled)
        )
        return Catalogue(entries=kept)

    def extended(self, extra: Mapping[str, Mapping[str, object]]) -> Catalogue:
        """Add (or replace, by variable name) entries given as `{VAR: {field: value}}`."""
        added = [_entry(var, fields, origin="config") for var, fields in extra.items()]
        replaced = {entry.var for entry in added}
        kept = tuple(entry for entry in self.entries if entry.var not in replaced)
        return Catalogue(entries=kept + tuple(added))


def _entry(var: str, fields: Mapping[str, object], *, origin: str) -> Entry:
    values = {"var": var, "tool": var.lower(), **fields}
    if origin == "config":
        # The user's own entries: no group means "not a cache"; `venv` was the project
        # venv's group before `env` named every environment.
        values.setdefault("group", USER_DEFAULT_GROUP)
        if values["group"] == "venv":
            values["group"] = "env"
    try:
        table = EntryTable.model_validate(values)
    except ValidationError as error:
        # An unknown field explains a "missing" one (a typo), so it is named first.
        first = min(error.errors(), key=lambda e: e["type"] != "extra_forbidden")
        where = ".".join(str(part) for part in first["loc"]) or var
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{origin}: entry {var}: {where}: {message}") from None
    unsynced = None if table.unsynced is None else copied(Unsynced, table.unsynced)
    return replace(copied(Entry, table), unsynced=unsynced)


def parse(text: str, *, origin: str) -> Catalogue:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{origin}: not valid TOML: {error}") from None
    entries = []
    for var, fields in data.items():
        if not isinstance(fields, dict):
            raise ConfigError(f"{origin}: {var} must be a table of fields")
        entries.append(_entry(var, fields, origin=origin))
    return Catalogue(entries=tuple(entries))


@cache
def load_default() -> Catalogue:
    """The catalogue shipped inside the package."""
    text = (resources.files("scratchenv.config") / "catalogue.toml").read_text(encoding="utf-8")
    return parse(text, origin="catalogue.toml")

