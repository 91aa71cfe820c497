"""What every renderer shares: the interface, and filling a template with quoted values."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from importlib import resources
from string import Template

from scratchenv import __version__
from scratchenv.output import escape
from scratchenv.plain import record
from scratchenv.plan import Plan, PrependPath, SetVar
from scratchenv.shells.registry import COMPANIONS, companion


class Renderer:
    """Turns a Plan into text for one shell or format. Subclasses override `quote` and
    the pieces of syntax they need; nothing else in scratchenv writes shell syntax."""

    name = ""

    def quote(self, value: str) -> str:
        raise NotImplementedError

    def render(self, plan: Plan, environ: Mapping[str, str], *, inputs: str = "") -> str:
        """The text for `plan`. `environ` decides values only static formats fix at render
        time; `inputs` is the freshness line activation embeds in its header."""
        raise NotImplementedError

    @staticmethod
    def fill(template_name: str, **values: str) -> str:
        text = resources.files("scratchenv.shells").joinpath("templates", template_name).read_text()
        return Template(text).substitute(version=__version__, **values)


@record
class Freshness:
    """What an activation file checks, in shell builtins alone, before it applies itself
    at login: it is current while these hold. Anything else means "ask Python"."""

    path: str
    """The file itself: every watched file must not be newer than it."""
    variables: tuple[tuple[str, str | None], ...]
    """(name, value it had, or None for unset) for each variable the settings read."""
    files: tuple[tuple[str, bool], ...]
    """(path, whether it existed) for the settings files, the catalogue and the package."""
    env_local_dir: str | None
    """The directory whose .env.local was read (the working directory), or None."""


@record
class HomeWatch:
    """The login's look at home (home/looks.py): a file of two lines, the next look's due
    time and the line to print, read with builtins; `refresh` starts the next look."""

    file: str
    refresh: tuple[str, ...]


JOB_VARIABLES = ("SLURM_JOB_ID", "PBS_JOBID")
"""Set inside a batch job: the login refreshes no look there (a compute node)."""


class ShellRenderer(Renderer):
    """An activation script: check freshness, save, set, and a deactivate that undoes.

    The algorithm lives here; each shell supplies only its syntax through the small
    methods below and its template (templates/activate.<template>). Deactivate is
    rendered from the plan: each PATH entry activation added is removed wherever it now
    is, and each variable is restored only while it still holds the value activation set.

    A shell with companions (registry.COMPANIONS) keeps what a current login does not run
    out of its activation file (render(split=True)): the undo, the saving of values it
    restores and a job's node-local lines go to companion files (companions()), sourced
    only when needed. A login then parses little more than one assignment per variable.
    """

    template = ""
    records_static = True
    """Whether activation records every value it sets; when False, only values decided at
    login (node-local, a kept site value) are recorded, and the undo knows the others."""

    def render(self, plan: Plan, environ: Mapping[str, str], *, inputs: str = "",
               freshness: Freshness | None = None, path: str = "",
               watch: HomeWatch | None = None, split: bool = False) -> str:
        """`path` is where the text will be written (tcsh's deactivate sources it again);
        `watch`: what an interactive login says about home (None: nothing); `split`: the
        file sources its companions (beside `path`) instead of holding their lines."""
        split = split and bool(COMPANIONS.get(self.name))
        undo = self._undo(plan)
        return self.fill(
            f"activate.{self.template}",
            shell=self.name,
            inputs=inputs,
            root_comment=roots_comment(plan),
            guard=self.guard_lines(),
            check=self.check_lines(freshness) if freshness else "",
            restore=indent(undo, 2),
            deactivate=self.deactivate_definition(
                self.quote(companion(path, "undo")) if split else None, undo),
            missing_root=self.missing_root_lines(plan) if plan.warn_missing_root else "",
            save=self.save_block(
                [change.name for change in plan.variables],
                self.quote(companion(path, "save")) if split else None, self._saves(plan)),
            apply="\n".join(self._apply(
                plan, self.quote(companion(path, "job")) if split else None,
                self.quote(companion(path, "path")) if split else None)),
            ensure="\n".join(self._ensure(plan)),
            self=self.quote(path),
            home_watch=self.home_watch_lines(watch) if watch else "",
        )

    def companions(self, plan: Plan, path: str) -> dict[str, str]:
        """{path: text} of the files render(split=True) for `path` sources when needed:
        the undo, the saving of values already set, and (with node-local variables) the
        lines a job runs."""
        if not COMPANIONS.get(self.name):
            return {}
        header = (f"# Generated by scratchenv {__version__} beside {comment_safe(path)}, "
                  "which sources it when needed. Do not edit.\n")
        files = {
            "undo": "\n".join(self.undo_body(self._undo(plan))),
            "save": "\n".join(self._saves(plan)),
            "job": "\n".join(self._job_lines(plan)),
            "path": "\n".join(self.prepend_line(*entry) for entry in self._prepends(plan)),
        }
        return {companion(path, part): header + files[part] + "\n"
                for part in COMPANIONS[self.name]}

    def _saves(self, plan: Plan) -> list[str]:
        return [self.save_line(change.name) for change in plan.variables]

    def _apply(self, plan: Plan, job_file: str | None = None,
               path_file: str | None = None) -> list[str]:
        # Values written in the file first, then those the shell decides (a kept site
        # value, node-local in a job): only the first may be set in one go (set_all).
        static = [c for c in plan.variables if not _decided_at_login(c)]
        lines = self.set_all([line for change in static for line in self._set(change)])
        for change in plan.variables:
            if change.keep_site_value and change.node_local is None:
                lines += self._set(change)
        node = [change for change in plan.variables if change.node_local is not None]
        if node:
            outside = [line for change in node for line in self._set(change)]
            lines += self.job_block(self._job_lines(plan), outside, job_file)
            lines += self.export_names([c.name for c in node if not c.keep_site_value])
        return lines + self.path_block(self._prepends(plan), path_file)

    def _prepends(self, plan: Plan) -> list[tuple[str, str, int]]:
        """(variable, quoted entry, index) of each list entry activation puts in front."""
        return [(entry.name, self._entry(plan, entry), index)
                for index, entry in enumerate(plan.path_entries)]

    def _job_lines(self, plan: Plan) -> list[str]:
        """Inside a job: the node-local directory, then each node-local variable in it."""
        node = [change for change in plan.variables if change.node_local is not None]
        if not node:
            return []
        lines = self.node_tmp_lines(plan)
        for change in node:
            lines += self._set(change, in_job=True)
        return [*lines, self.node_tmp_cleanup()]

    def _entry(self, plan: Plan, change: PrependPath) -> str:
        """The quoted entry; under a variable that may keep its site value, it follows that
        variable as the shell has it by then."""
        owner = plan.get(change.var) if change.var else None
        if owner is None or not owner.keep_site_value:
            return self.quote(change.entry)
        return self.variable(owner.name) + self.quote(f"/{change.suffix}")

    def _set(self, change: SetVar, in_job: bool = False) -> list[str]:
        # A kept site value is exported where it is set: whether it is at all is the site's.
        put = self.export_line if change.keep_site_value else self.assign_line
        lines = [put(change.name, self.quote(change.exported))]
        if in_job and change.node_local is not None:
            suffix = self.quote(f"/{change.node_local}{change.tail}")
            lines = self.if_node_tmp(put(change.name, NODE_TMP + suffix), lines[0])
        if self.records_static or _decided_at_login(change):
            lines.append(self.record_line(change.name))
        if change.keep_site_value:
            # A value outside home came from the site: it stands (keep_site_values).
            lines = self.unless_site_value(change.name, lines)
        return lines

    def _undo(self, plan: Plan) -> list[str]:
        lines: list[str] = []
        if not self.records_static:  # the values activation set without recording them
            lines += [self.record_value_line(change.name, self.quote(change.exported))
                      for change in plan.variables if not _decided_at_login(change)]
        for index, entry in enumerate(plan.path_entries):
            lines += self.remove_lines(entry, self.quote(entry.entry), index)
        return lines + self.restore_all([change.name for change in plan.variables])

    def _ensure(self, plan: Plan) -> list[str]:
        lines: list[str] = []
        for root in plan.roots:  # each directory is made only when its own root is there
            names = [c.name for c in plan.must_exist if c.root == root]
            if names:
                lines += self.ensure_lines(self.quote(root), names)
        return lines

    # What a splitting shell supplies: where the undo, the saves and a job's lines go.

    def deactivate_definition(self, undo_file: str | None, undo: list[str]) -> str:
        """Define scratchenv_deactivate: sourcing the quoted `undo_file`, or else holding
        undo_body(undo) itself."""
        return ""

    def undo_body(self, undo: list[str]) -> list[str]:
        """scratchenv_deactivate's body: `undo` while active, then (unless its argument is
        `nondestructive`) forget the function."""
        return undo

    def save_block(self, names: list[str], save_file: str | None, saves: list[str]) -> str:
        """When any of `names` is set: source the quoted `save_file`, or else run `saves`."""
        return "\n".join(saves)

    def job_block(self, job: list[str], outside: list[str], job_file: str | None) -> list[str]:
        """Inside a job, source the quoted `job_file` (or else run `job`); outside, run
        `outside`."""
        return job

    def record_value_line(self, name: str, quoted_value: str) -> str:
        """Record `name` as set to the quoted value (the undo's knowledge of a static value)."""
        raise NotImplementedError

    def path_block(self, prepends: list[tuple[str, str, int]], path_file: str | None
                   ) -> list[str]:
        """prepend_line for each of `prepends`; a splitting shell may put them all in front
        at once when none is there yet, and else source the quoted `path_file` (or else run
        them one by one)."""
        return [self.prepend_line(*entry) for entry in prepends]

    # The syntax each shell supplies.

    def guard_lines(self) -> str:
        """Lines that refuse to run when the file is executed instead of sourced."""
        return ""

    def check_lines(self, freshness: Freshness) -> str:
        """When the rc block asks (it sets _scratchenv_check), stop unless `freshness`
        holds; when it holds, clear _scratchenv_stale (which the block set)."""
        raise NotImplementedError

    def rc_block(self, command: Sequence[str]) -> list[str]:
        """The rc file's lines: source the newest activation file, which checks itself;
        run `command activate` only when it is stale or missing. Silent when not
        interactive, but for one line when no environment could be set."""
        raise NotImplementedError

    def save_line(self, name: str) -> str:
        raise NotImplementedError

    def record_line(self, name: str) -> str:
        """Remember the value activation set, so deactivate can tell a later change."""
        raise NotImplementedError

    def restore_all(self, names: list[str]) -> list[str]:
        """restore_lines for each of `names`."""
        return [line for name in names for line in self.restore_lines(name)]

    def restore_lines(self, name: str) -> list[str]:
        """Put back the saved value (or unset) if the variable still holds what
        activation set; forget the saved and recorded values either way."""
        raise NotImplementedError

    def remove_lines(self, entry: PrependPath, quoted_entry: str, index: int) -> list[str]:
        """Remove `entry` from its list if activation added it (flag `index`), unless it
        belongs with a unit variable the user has changed since."""
        raise NotImplementedError

    def ensure_lines(self, quoted_root: str, names: list[str]) -> list[str]:
        """When the root exists, make each named variable's directory if it is missing."""
        raise NotImplementedError

    def missing_root_lines(self, plan: Plan) -> str:
        raise NotImplementedError

    def home_watch_lines(self, watch: HomeWatch) -> str:
        """In an interactive shell: print the last look's line, if any; start `refresh`,
        detached, when the look is due (and the shell can tell the time with a builtin)
        or when there is none yet. Never inside a batch job."""
        return ""

    def export_line(self, name: str, quoted_value: str) -> str:
        raise NotImplementedError

    def assign_line(self, name: str, quoted_value: str) -> str:
        """Set `name`, exported by export_names (after every assignment) if not here."""
        return self.export_line(name, quoted_value)

    def export_names(self, names: list[str]) -> list[str]:
        """Export the variables assign_line set."""
        return []

    def set_all(self, lines: list[str]) -> list[str]:
        """`lines` (assign_line's, nothing else) with what exports the variables they set."""
        return lines

    def prepend_line(self, name: str, quoted_entry: str, index: int) -> str:
        """Put the entry in front unless present; when added, set flag `index`."""
        raise NotImplementedError

    def variable(self, name: str) -> str:
        """The quoted value of the variable `name`, expanded as one word."""
        return f'"${name}"'

    def node_tmp_lines(self, plan: Plan) -> list[str]:
        """Set the variable NODE_TMP expands to: inside a job, the user's node-local
        directory (plan.node_pieces), made 0700 when missing; empty outside a job, when a
        piece is empty, or (with NODE_REFUSED on stderr) when it is not the user's alone."""
        raise NotImplementedError

    def node_tmp_cleanup(self) -> str:
        raise NotImplementedError

    def if_node_tmp(self, then: str, otherwise: str) -> list[str]:
        raise NotImplementedError

    def unless_site_value(self, name: str, lines: list[str]) -> list[str]:
        raise NotImplementedError


def _decided_at_login(change: SetVar) -> bool:
    """Whether the value a variable gets is decided by the shell (node-local inside a job, a
    kept site value) rather than written in the file."""
    return change.node_local is not None or change.keep_site_value


NODE_TMP = '"$_scratchenv_node_tmp"'
"""How every shell's script refers to the node-local directory it computed."""

NODE_REFUSED = ("scratchenv: node-local directory ", " is not yours alone (another owner, a "
                "link, writable by others) or cannot be made: node-local caches stay on scratch")
"""The message, before and after the directory, when activation refuses it."""


_BARE_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


def is_bare_safe(value: str) -> bool:
    """True when `value` means itself unquoted in every shell (the common case: a path)."""
    return _BARE_SAFE.fullmatch(value) is not None


def indent(lines: list[str], depth: int) -> str:
    pad = "    " * depth
    return "\n".join(pad + line if line else line for line in lines)


NOT_ACTIVATED = "scratchenv: no scratch environment in this shell; `scratchenv activate` says why"


def command_gone(command: str, shell: str) -> str:
    """What the rc block says when the scratchenv it was written for is gone and the last
    activation file no longer fits the settings."""
    return (f"scratchenv: {command} is gone (moved or uninstalled?), so this shell has no "
            f"scratch environment; reinstall scratchenv, then run `scratchenv init {shell}`")
"""What a non-interactive shell's rc block says when activation failed outright."""


def state_link(shell: str) -> str:
    """The newest activation file for `shell`, as POSIX parameter expansion (the same
    place locations.state_dir names)."""
    return ('${SCRATCHENV_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/scratchenv}'
            f"/activate.{shell}")


def missing_root_message(plan: Plan, root: str | None = None) -> str:
    """What the shell prints at login when a root is missing: escaped (output.escape), as
    the shell prints it verbatim to the terminal."""
    return escape(_missing_root(plan, root))


def _missing_root(plan: Plan, root: str | None) -> str:
    root = plan.root if root is None else root
    pointing = ("the venv and toolchains" if root == plan.persistent_root else "caches")
    return (f"scratchenv: {plan.root_name(root)} {root} is missing (not mounted on this "
            f"node?); {pointing} still point there")


def roots_comment(plan: Plan) -> str:
    """The roots for the file's header comment: the scratch root, then the persistent one."""
    text = comment_safe(plan.root)
    if plan.persistent_root:
        text += f"\n# Persistent root: {comment_safe(plan.persistent_root)}"
    return text


def comment_safe(text: str) -> str:
    """Text made safe for a one-line comment (a root may hold a newline)."""
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
