"""Settings + catalogue -> Plan: the environment changes, as plain data (pure functions).

The Plan is the single source of truth: every renderer renders it, every check checks
against it, every action acts on it. Nothing downstream re-derives a path on its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from functools import cached_property

from scratchenv.config.nodelocal import DEFAULT_NODE_PIECES, NodePiece, node_pieces
from scratchenv.config.placeholders import user_pattern
from scratchenv.config.records import Entry, Login, Project, Purge, Thresholds, copied
from scratchenv.fsutil import private_dir_problem
from scratchenv.install import own_install
from scratchenv.locations import current_user, inside
from scratchenv.plain import field, record, replace
from scratchenv.realpaths import same_place

TYPE_CHECKING = False  # not `typing`: verify's fast path does without it
if TYPE_CHECKING:
    from scratchenv.config.sections import Tier
    from scratchenv.config.settings import Settings


@record
class SetVar:
    """Export `name=value`; the entry says which tool it is for and why."""

    name: str
    value: str
    entry: Entry | None = None
    node_local: str | None = None
    """Inside a Slurm job, point at `<the user's node-local directory>/<node_local>` instead."""
    keep_site_value: bool = False
    """Leave a value that is already set and outside home alone."""
    tier: Tier | None = None
    """The tier `value` is on ("scratch" or "persistent"); None when it is pinned in home."""
    root: str | None = None
    """The directory `value` is under: its tier's root, or home for what is pinned there.
    Checks and actions read it here, never re-derive it."""

    @property
    def tail(self) -> str:
        """What follows the location in the exported value: `:` for a path list, whose
        empty last entry the tool reads as its own defaults (Entry.path_list)."""
        return ":" if self.entry is not None and self.entry.path_list else ""

    @property
    def exported(self) -> str:
        """The value activation exports; `value` is the location it names."""
        return self.value + self.tail

    def location_in(self, exported: str) -> str:
        """The location an exported value names: a path list's first entry."""
        if self.entry is not None and self.entry.path_list:
            return next((part for part in exported.split(":") if part), "")
        return exported


@record
class PrependPath:
    """Put `entry` at the front of the colon-separated list `name` (once)."""

    name: str
    entry: str
    unit: str | None = None
    """A variable this entry belongs with (a venv's VIRTUAL_ENV): deactivate removes both
    or, when the user has changed that variable since, neither."""
    var: str | None = field(default=None, compare=False)
    """The variable `entry` lies under (CARGO_HOME for Cargo's bin): when that one keeps a
    site value (keep_site_values), the entry follows it."""
    suffix: str = field(default="", compare=False)
    """`entry` relative to `var`'s value."""


Change = SetVar | PrependPath


@record
class CheckpointPlace:
    """Where checkpoint directories go: `layout` (with `{id}`) under the checkpoints tier's
    root; the other root holds those made before `persistent_root` or `tiers` changed."""

    root: str
    tier: Tier = "scratch"
    layout: str = "checkpoints_{id}"
    other_root: str | None = None
    writing_seconds: int = 300
    """A checkpoint without trainer_state.json that changed this recently is still being
    written: cleanup leaves it alone."""

    @property
    def bases(self) -> list[str]:
        """The roots checkpoint directories may be on: this tier's root first, then the other."""
        return [self.root] + ([self.other_root] if self.other_root else [])

    @property
    def directory(self) -> str:
        """The directory that holds every checkpoint directory; nothing outside it is deleted."""
        parent = os.path.dirname(self.layout)
        return f"{self.root}/{parent}" if parent else self.root


@record
class Plan:
    root: str
    home: str
    changes: tuple[Change, ...]
    warn_missing_root: bool = True
    project: str | None = None
    persistent_root: str | None = None
    """The second, non-purged root, when one is set."""
    persistent_pattern: str | None = None
    """The persistent root with `{user}` for the user name (modulefiles), when it holds it."""
    root_pattern: str | None = None
    """The root with `{user}` for the user name: what a modulefile computes at load time."""
    pattern_first: bool = False
    """The site set root_pattern: it ranks above $SCRATCH (as in the settings)."""
    user: str = ""
    """The user the plan is for (the node-local directory names them)."""
    node_pieces: tuple[NodePiece, ...] = DEFAULT_NODE_PIECES
    """The user's node-local directory inside a job (node_pieces())."""
    checkpoints: CheckpointPlace | None = None
    """Where checkpoint directories go (None: on the scratch root, the default layout)."""
    project_layout: Project | None = None
    """The project's venv and data variables, when a project is set."""
    purge: Purge = Purge()
    """The scratch root's purge policy; the persistent root is never purged."""
    thresholds: Thresholds = Thresholds()
    """The sizes checks, status, doctor and the login compare against."""
    login: Login = Login()
    """What the login says about home, and how often it looks."""
    quota_source: str | None = None
    """The quota tool the centre documents, asked first (status, check-space)."""

    @cached_property
    def _index(self) -> dict[str, SetVar]:
        return {change.name: change for change in self.changes if isinstance(change, SetVar)}

    @property
    def variables(self) -> list[SetVar]:
        return list(self._index.values())

    @property
    def must_exist(self) -> list[SetVar]:
        """Variables whose directory the tool ignores unless it exists: activation makes it."""
        return [change for change in self.variables if change.entry and change.entry.must_exist]

    @property
    def path_entries(self) -> list[PrependPath]:
        return [change for change in self.changes if isinstance(change, PrependPath)]

    @property
    def roots(self) -> list[str]:
        """The scratch root, then the persistent root when there is one."""
        return [self.root] + ([self.persistent_root] if self.persistent_root else [])

    @property
    def checkpoint_place(self) -> CheckpointPlace:
        """Where checkpoint directories go (a plan built by hand: the scratch root's)."""
        return self.checkpoints or CheckpointPlace(root=self.root)

    def root_name(self, root: str) -> str:
        """How output calls `root`: "persistent root" or "scratch root" (callers add "the")."""
        return "persistent root" if root == self.persistent_root else "scratch root"

    def purged(self, root: str | None = None) -> bool:
        """Whether a purge policy deletes old files on `root` (default: the scratch root)."""
        if self.purge.days is None:
            return False
        return not (root is not None and self.persistent_root is not None
                    and same_place(root, self.persistent_root))

    def keeps_times(self, root: str | None = None) -> bool:
        """Whether files moved onto `root` (default: the scratch root) keep their old times:
        the one place that decides it for migrate, link-venv and checkpoints adopt/archive.
        On a purged root a moved file must look new, or the next purge takes it."""
        return not self.purged(root)

    def get(self, name: str) -> SetVar | None:
        return self._index.get(name)

    def value_in(self, change: SetVar, environ: Mapping[str, str]) -> str | None:
        """The value `change` gives in `environ`, or None when it leaves the variable alone."""
        if change.keep_site_value and _is_site_value(environ.get(change.name), environ):
            return None
        if change.node_local is not None:
            node_dir = self.usable_node_dir(environ)
            if node_dir:
                return f"{node_dir}/{change.node_local}"
        return change.value

    def node_dir(self, environ: Mapping[str, str]) -> str | None:
        """The user's node-local directory in this job; None outside a job, or when a
        variable it is built from is unset or empty."""
        if not environ.get("SLURM_JOB_ID"):
            return None
        parts = []
        for kind, text in self.node_pieces:
            if kind == "tmp":
                value = environ.get("SLURM_TMPDIR") or environ.get("TMPDIR") or ""
            elif kind == "env":
                value = environ.get(text, "")
            else:
                value = self.user if kind == "user" else text
            if not value:
                return None
            parts.append(value)
        return "".join(parts)

    def usable_node_dir(self, environ: Mapping[str, str]) -> str | None:
        """node_dir, unless it exists and is not the user's alone (then activation refuses
        it and the node-local caches stay on scratch)."""
        node_dir = self.node_dir(environ)
        if node_dir is None or private_dir_problem(node_dir) is not None:
            return None
        return node_dir

    def exported_in(self, change: SetVar, environ: Mapping[str, str]) -> str | None:
        """What activation exports for `change` in `environ` (value_in, with its tail)."""
        value = self.value_in(change, environ)
        return None if value is None else value + change.tail

    def apply(self, environ: Mapping[str, str]) -> dict[str, str]:
        """The environment after activation, as a new dict."""
        return apply_changes(self.resolved(environ), environ)

    def resolved(self, environ: Mapping[str, str]) -> tuple[Change, ...]:
        """The changes with job- and site-dependent values decided for `environ`."""
        changes: list[Change] = []
        for change in self.changes:
            if isinstance(change, SetVar):
                value = self.value_in(change, environ)
                if value is not None:
                    changes.append(SetVar(change.name, value, change.entry))
            elif isinstance(change, PrependPath) and change.var is not None:
                changes.append(self.prepend_in(change, environ))
            else:
                changes.append(change)
        return tuple(changes)

    def prepend_in(self, change: PrependPath, environ: Mapping[str, str]) -> PrependPath:
        """`change` with its entry under the value its variable has in `environ`."""
        owner = self.get(change.var) if change.var else None
        if owner is None:
            return change
        value = self.value_in(owner, environ) or environ.get(owner.name)
        if value is None:
            return change
        return PrependPath(change.name, f"{value}/{change.suffix}", unit=change.unit,
                           var=change.var, suffix=change.suffix)


def _is_site_value(value: str | None, environ: Mapping[str, str]) -> bool:
    if not value:
        return False
    home = environ.get("HOME", "")
    return not (home and inside(os.path.normpath(value), os.path.normpath(home)))


def apply_changes(changes: Iterable[Change], environ: Mapping[str, str]) -> dict[str, str]:
    result = dict(environ)
    for change in changes:
        if isinstance(change, SetVar):
            result[change.name] = change.exported
        else:
            current = result.get(change.name, "")
            parts = [part for part in current.split(":") if part] if current else []
            if change.entry not in parts:
                result[change.name] = change.entry + (":" + current if current else "")
    return result


PROJECT_MADE = ("models", "report", "checkpoints", "*_checkpoints", "tokenizer")
"""What a training project makes in its data directory (nanochat: base_checkpoints/,
chatsft_checkpoints/, tokenizer/, report/): `clean data` keeps it unless named; the rest
(base_data/ shards, eval bundles) is downloaded again."""


def _project_entries(settings: Settings) -> list[Entry]:
    layout = settings.project_layout
    if layout is None:
        return []
    docs = "scratchenv project layout"
    return [
        Entry(var=layout.venv_var, tool="project", path=layout.venv_dir, docs=docs,
              group="env", notes=f"the {layout.name} virtual environment (group env: what "
                                 "a person installed)"),
        # ~/.cache/<name> is where nanochat writes without NANOCHAT_BASE_DIR (doctor, migrate).
        Entry(var=layout.data_var, tool="project", path=layout.data_dir, docs=docs,
              group="data", default=f"~/.cache/{layout.name}", keep=PROJECT_MADE,
              notes=f"{layout.name}'s data: datasets, tokenizers, checkpoints (group data); "
                    "clean takes the downloads (data shards) and keeps what a run made"),
    ]


def build_plan(settings: Settings, install: str | None = None) -> Plan:
    """Every variable at its place under its group's root, in catalogue order, then PATH.
    A variable whose tool default holds scratchenv's own `install` (the venv it runs from)
    names that default instead: PIPX_HOME on scratch would hide the pipx install that every
    login runs (`pipx list`/`pipx upgrade scratchenv` find nothing)."""
    root = str(settings.scratch_root)
    home = str(settings.home)
    install = install or own_install()
    entries = _project_entries(settings) + list(settings.catalogue().entries)
    changes: list[Change] = []
    prepends: list[Change] = []
    for entry in entries:
        entry = _pinned_if_holding(entry, home, install)
        tier = None if entry.anchor == "home" else settings.tier_of(entry.group)
        base = home if tier is None else str(settings.root_for(entry.group))
        value = f"{base}/{entry.path}"
        changes.append(
            SetVar(
                entry.var,
                value,
                entry,
                node_local=entry.path if entry.node_local else None,
                keep_site_value=settings.keep_site_values and entry.anchor == "root",
                tier=tier,
                root=base,
            )
        )
        if entry.bin:
            prepends.append(PrependPath("PATH", f"{value}/{entry.bin}", var=entry.var,
                                        suffix=entry.bin))
    layout = settings.project_layout
    if settings.activate_venv and layout is not None:
        venv_var = next(c for c in changes if isinstance(c, SetVar) and c.name == layout.venv_var)
        venv = venv_var.value
        changes.append(SetVar("VIRTUAL_ENV", venv, tier=venv_var.tier, root=venv_var.root))
        prepends.append(PrependPath("PATH", f"{venv}/bin", unit="VIRTUAL_ENV"))
    pattern, pattern_first = root_pattern(settings, root)
    return Plan(
        root=root,
        home=home,
        changes=tuple(changes + prepends),
        warn_missing_root=settings.missing_root == "warn",
        project=settings.project,
        persistent_root=str(settings.persistent_root) if settings.persistent_root else None,
        persistent_pattern=(settings.persistent_pattern
                            or user_pattern(str(settings.persistent_root), current_user())
                            if settings.persistent_root else None),
        root_pattern=pattern,
        pattern_first=pattern_first,
        user=current_user(),
        node_pieces=node_pieces(settings.node_local),
        checkpoints=checkpoint_place(settings),
        project_layout=layout,
        purge=copied(Purge, settings.purge),
        thresholds=copied(Thresholds, settings.thresholds),
        login=copied(Login, settings.login),
        quota_source=settings.quota_source,
    )


def checkpoint_place(settings: Settings) -> CheckpointPlace:
    """The checkpoints tier's root (the persistent root when there is one), the layout under
    it, and the other root to look in."""
    root = str(settings.root_for("checkpoints"))
    others = [str(other) for other in (settings.scratch_root, settings.persistent_root)
              if other is not None and str(other) != root]
    return CheckpointPlace(root=root, tier=settings.tier_of("checkpoints"),
                           layout=settings.checkpoints.layout,
                           other_root=others[0] if others else None,
                           writing_seconds=settings.checkpoints.writing_seconds)


def _pinned_if_holding(entry: Entry, home: str, install: str) -> Entry:
    """An `env` entry (installed tools) pinned at its tool's default in home when
    scratchenv's install lies there (so migrate, clean and verify treat it as pinned on
    purpose), else `entry`."""
    default = entry.default_path(home)
    if entry.group != "env" or entry.anchor == "home" or default is None or entry.path_list:
        return entry
    default = os.path.normpath(default)
    if not (inside(install, default) or inside(install, os.path.realpath(default))):
        return entry
    path = os.path.relpath(default, home)
    if path.startswith(".."):
        return entry
    return replace(entry, anchor="home", path=path)


def root_pattern(settings: Settings, root: str) -> tuple[str | None, bool]:
    """The root as a pattern in `{user}`, and whether the site set it: the settings'
    root_pattern whenever there is one (a modulefile is for every user, so the generating
    user's own root does not stand in for the site's layout), else the root with each path
    component that is the user's name replaced; None when the root does not contain it."""
    if settings.root_pattern:
        return settings.root_pattern, True
    return user_pattern(root, current_user()), False
