"""What the catalogue and the settings decide, as plain frozen records: the catalogue's
entries and the settings' sections the Plan carries.

pydantic validates every input against the schemas beside them (catalogue.EntryTable,
sections.ThresholdsTable, ...: the same fields, with descriptions and checks); these
records carry the validated values downstream. They import no pydantic, so a Plan can be
rebuilt from a recorded, still-current resolution (login/resolution.py) without it.
Standard library only; tests/config/test_records.py holds each record to its schema.
"""

from __future__ import annotations

from scratchenv.config.placeholders import substitute
from scratchenv.plain import fields, record

TYPE_CHECKING = False  # not `typing`: verify's fast path does without it
if TYPE_CHECKING:
    from typing import Literal, TypeVar

    R = TypeVar("R")
    Group = Literal["cache", "env", "toolchain", "data", "run"]


def copied(kind: type[R], source: object) -> R:
    """A `kind` of record holding the values of `source`'s attributes of the same names (a model
    pydantic has validated)."""
    return kind(**{f.name: getattr(source, f.name) for f in fields(kind)})


# --- the catalogue ---------------------------------------------------------------------------


@record(kw_only=True)
class Unsynced:
    """Runs in a location that exist nowhere else until their tool syncs them (W&B's offline
    runs, by W&B's own rule, `wandb sync --clean`): a run is synced once every log in it has
    the tool's mark beside it."""

    what: str
    """What a run is called in messages ("a W&B run")."""
    runs: tuple[str, ...]
    """Globs of run directories relative to the location, `/` between levels, looked at
    in this order."""
    log: str
    """Glob of a run's log files: a run without one is unsynced."""
    synced: str
    """What a sync adds to a log's name beside it (`.synced`: x.wandb -> x.wandb.synced)."""
    sync: str
    """The command that syncs a run (the run's path follows it)."""


@record(kw_only=True)
class Entry:
    """One variable: where it points under scratch, and where the tool writes without it."""

    var: str
    tool: str
    path: str
    """Location relative to the anchor: the scratch root, or home for things pinned there."""
    anchor: Literal["root", "home"] = "root"
    default: str | None = None
    """Where the tool writes when the variable is unset: `~/...` for home, `./x` for the
    working directory, `{xdg_cache}` / `{xdg_config}` / `{xdg_data}` for the XDG bases."""
    kind: Literal["dir", "file"] = "dir"
    path_list: bool = False
    """The variable is a `:`-separated list in which an empty entry stands for the tool's
    own defaults (JULIA_DEPOT_PATH): activation exports `<location>:`, keeping those."""
    group: Group
    """What `scratchenv clean` calls it (catalogue.GROUPS); the shipped catalogue names it
    for every entry, with the reason in `notes`: only a `cache` is removed by `clean caches`."""
    keep: tuple[str, ...] = ()
    """Names (globs; `/` for a deeper level) inside the location that a person made and
    `clean` keeps, e.g. a config file a tool reads from its cache directory."""
    beside: tuple[str, ...] = ()
    """For a file pinned in home: names in its directory that its tool reads from there
    (huggingface_hub's stored_tokens beside the token). They stay with it: migrate leaves
    them in home, and clean keeps them where the tool writes the file when it is not pinned
    (`kept_names`)."""
    unsynced: Unsynced | None = None
    """Runs in the location that exist nowhere else until synced: clean keeps them unless
    told --delete-unsynced-runs."""
    node_local: bool = False
    """Better on node-local disk: inside a Slurm job it points under $SLURM_TMPDIR/$TMPDIR."""
    bin: str | None = None
    """A sub-directory to put on PATH (Cargo's `bin`)."""
    must_exist: bool = False
    """The tool ignores the variable unless its directory exists: activation and bootstrap
    make it (every other directory is made by its tool on first use)."""
    docs: str = ""
    notes: str = ""
    opt_in: bool = False
    """Off unless the user names it in `enable`: setting it changes the tool's behaviour."""
    caveat: str = ""
    """What an opt-in entry costs; shown when it is enabled."""

    def default_path(self, home: str) -> str | None:
        """The tool's own default location, with `~` and the XDG bases as under `home`."""
        if self.default is None:
            return None
        text = xdg_bases(self.default, home)
        if text == "~" or text.startswith("~/"):
            text = home + text[1:]
        return text


def xdg_bases(default: str, home: str) -> str:
    """An entry's `default` with the XDG bases as under `home` (PlaceholderError for others)."""
    return substitute(default, {"xdg_cache": f"{home}/.cache", "xdg_config": f"{home}/.config",
                                "xdg_data": f"{home}/.local/share"})


# --- the settings' sections ------------------------------------------------------------------


@record(kw_only=True)
class Thresholds:
    """Sizes that turn into warnings and failures, in bytes (sections.ThresholdsTable)."""

    home_warn: int = 10 * 1024**3
    scratch_warn: int = 100 * 1024**3
    min_free: int = 10 * 1024**3
    large_dir: int = 1024**3
    many_files: int = 100_000
    large_venv: int = 100 * 1024**2
    home_growth: int = 1024**3
    quota_near: float = 0.9


@record(kw_only=True)
class Login:
    """What an interactive login says about home (sections.LoginTable)."""

    warn: bool = True
    look_every_hours: float = 6


@record(kw_only=True)
class Purge:
    """The scratch file system's purge policy (sections.PurgeTable)."""

    days: int | None = None
    margin_days: int = 7
    by: Literal["atime", "mtime"] | None = None


DEFAULT_VENV_VAR = "VENV_PATH"


@record(kw_only=True)
class Project:
    """Where one project's venv and data live, and the variables that name them (both
    validated by the settings)."""

    name: str
    data_var: str
    venv_var: str = DEFAULT_VENV_VAR
    venv_dir: str
    data_dir: str
