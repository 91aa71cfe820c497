"""Which variable names an entry may set: only ones shaped like a cache or data location.

An entry (the catalogue's, the user's `[vars]`, a `.env.local`'s) sets a variable to a path
under the scratch root. A name that a shell, the dynamic linker or an interpreter reads as
code, or as a place to load code from, would turn that into running someone's program:
those are refused whatever the source (SECURITY.md lists them).
"""

from __future__ import annotations

import re

from scratchenv.locations import document

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

RESERVED = frozenset({"PATH", "HOME", "USER", "SHELL"})
"""PATH is managed through an entry's `bin`; the others are the identity everything uses."""

SHAPES = ("HOME", "DIR", "DIRS", "PATH", "CACHE", "CACHEDIR", "DATA", "FOLDER", "MODELS", "ROOT")
"""A name must end with one of these (case-insensitively): HF_HOME, UV_CACHE_DIR, GOCACHE."""

OWN_PATH_NAMES = frozenset({"VENV_PATH"})
"""Names ending in PATH a user's entry may set besides the shipped catalogue's (reviewed one
by one, and exempt): the project's venv. Any other *PATH is taken for a search list
(LD_LIBRARY_PATH, PYTHONPATH, NODE_PATH...)."""

DENIED = re.compile(
    r"""(?x)
    LD_.* | DYLD_.* | GCONV_PATH | GLIBC_TUNABLES | MALLOC_.*         # the dynamic linker, libc
    | BASH_.* | ENV | ZDOTDIR | ZSH.* | FPATH | CDPATH | IFS | SHELLOPTS | BASHOPTS
    | PS[0-9]* | PROMPT.* | RPROMPT | RPS[0-9]* | HISTFILE              # shell startup, prompts
    | PYTHON.* | PERL.* | RUBY.* | GEM_.* | NODE_.* | LUA_.* | CLASSPATH | JAVA_.* | JDK_.*
    | JULIA_LOAD_PATH | R_LIBS.* | R_HOME | GOROOT | GOFLAGS            # interpreters' hooks
    | XDG_(?!CACHE_HOME$).*                                              # config, data dirs
    | GIT_.* | GNUPGHOME | SSH_.* | TMPDIR | TMP | TEMP
    | VIRTUAL_ENV | CONDA_PREFIX | CONDA_EXE | EDITOR | VISUAL | PAGER
    """
)
"""Names no entry may set, whatever their shape (matched in upper case)."""


def variable_name_problem(name: str, *, own: bool = True) -> str | None:
    """Why an entry may not set `name`, or None. `own`: the user's entry (any source but
    the shipped catalogue, whose names are reviewed one by one), which must also have the
    shape of a location."""
    if not _IDENTIFIER.fullmatch(name):
        return f"{name!r} is not a valid environment variable name"
    upper = name.upper()
    if upper in RESERVED or upper.startswith(("SCRATCHENV_", "_SCRATCHENV")):
        return f"{name!r} cannot be an entry: scratchenv must not re-point it"
    if DENIED.fullmatch(upper):
        return (f"{name!r} cannot be an entry: a shell or a program reads it as code or as "
                f"a place to load code from (see {document('SECURITY.md')})")
    if not own:
        return None
    if upper.endswith("PATH") and upper not in OWN_PATH_NAMES:
        return (f"{name!r} cannot be an entry: a name ending in PATH is a search list "
                "(name your own location *_DIR, *_HOME or *_CACHE)")
    if not upper.endswith(SHAPES):
        return (f"{name!r} cannot be an entry: only cache and data locations "
                f"(names ending in {', '.join(SHAPES)})")
    return None
