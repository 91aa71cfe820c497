"""Every shell and output format scratchenv knows, in one table.

Standard library only and cheap to import: the login fast path reads it. A new format is
one row here plus its renderer module under shells/ (which defines RENDERER).
"""

from __future__ import annotations


class Format:
    """One output format. `login` ones are shells: `activate` and `init` serve them.

    `rc` lists the startup files `init` may write, first existing wins (else the first);
    `$ZDOTDIR/` and `$XDG_CONFIG_HOME/` mean that variable, or its usual default.
    `placement` is where the block goes: "top" for a file that may return early (the
    stock ~/.bashrc stops non-interactive shells at its guard), else "end"."""

    __slots__ = ("login", "module", "name", "placement", "rc")

    def __init__(self, name: str, module: str, *, login: bool = False,
                 rc: tuple[str, ...] = (), placement: str = "end") -> None:
        self.name = name
        self.module = module
        self.login = login
        self.rc = rc
        self.placement = placement


FORMATS: tuple[Format, ...] = (
    # Login shells: `sh` is also what any other Bourne-style shell (dash, ksh) gets.
    Format("sh", "posix", login=True, rc=(".profile",)),
    Format("bash", "bash", login=True, rc=(".bashrc",), placement="top"),
    # .zshenv: every zsh reads it, `zsh -c` and scripts too (.zshrc is interactive only).
    Format("zsh", "zsh", login=True, rc=("$ZDOTDIR/.zshenv",)),
    Format("fish", "fish", login=True, rc=("$XDG_CONFIG_HOME/fish/config.fish",)),
    # tcsh reads ~/.tcshrc, or ~/.cshrc when there is none; csh only ~/.cshrc.
    Format("tcsh", "tcsh", login=True, rc=(".tcshrc", ".cshrc")),
    # Static formats for other tools.
    Format("dotenv", "dotenv"),
    Format("json", "json"),
    # Site-wide modulefiles: Lmod (Lua) and Environment Modules (Tcl).
    Format("lmod", "lmod"),
    Format("tcl", "tcl"),
    # Slurm's TaskProlog: `export NAME=value` lines for every task (`scratchenv taskprolog`).
    Format("taskprolog", "taskprolog"),
)
BY_NAME = {entry.name: entry for entry in FORMATS}
NAMES = tuple(BY_NAME)
LOGIN_SHELLS = tuple(entry.name for entry in FORMATS if entry.login)
COMPANIONS = {shell: () if shell == "tcsh" else ("undo", "save", "job", "path")
              for shell in LOGIN_SHELLS}
"""The files beside a login shell's activation file, `<file>.<part>`, that it sources only
when needed (shells/base.py): what a current login does not run is not parsed at login."""


def companion(path: str, part: str) -> str:
    """Where the companion file `part` (COMPANIONS) of the activation file at `path` is."""
    return f"{path}.{part}"


def login_shell_named(path_or_name: str) -> str | None:
    """The login shell a $SHELL value names (`/bin/csh` is served as tcsh), or None."""
    name = path_or_name.rsplit("/", 1)[-1]
    name = "tcsh" if name == "csh" else name
    return name if name in LOGIN_SHELLS else None
