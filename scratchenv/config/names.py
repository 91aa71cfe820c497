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


HOLDS_TRUST_OR_CODE = re.compile(
    r"""(?x)
    .*CONFIG.* | (.*_)?CONF(_.*)? | .*CONFDIR | .*RC | .*RCFILE.* | .*SETTINGS.*  # configuration
    | (.*_)?PROFILES?(_.*)?
    | .*CERT.* | .*_CA | CA_.* | .*_CA_.* | SSL_.* | .*TLS.* | .*TRUST.*  # trust stores
    | .*KEY.* | .*SECRET.* | .*TOKEN.* | .*CREDENTIAL.* | .*PASSW.* | .*AUTH.* | NETRC
    | .*VENDOR.* | .*PLUGIN.* | .*DRIVER.* | .*ICD.* | .*LAYER.* | .*MODULE.*
    | .*EXTENSION.* | .*ADDON.* | .*HOOK.* | .*STARTUP.* | .*INIT.*
    | .*LIB.* | .*INCLUDE.* | (.*_)?BIN(_.*)? | .*BINDIR | .*EXEC.* | .*PREFIX.* | .*SHIM.*
    | .*INSTALL.*
    | .*TEMPLATE.* | .*SCRIPT.* | .*SITE.* | .*SDK.* | .*TOOLCHAIN.* | .*TOOLKIT.*
    """
)
"""Names that hold a trust store, configuration, plugins, drivers or code, by their words
(matched in upper case): only a reviewed catalogue entry may set one (SECURITY.md)."""

TOOLCHAIN_HOMES = re.compile(
    r"""(?x)
    (CUDA | CUDNN | NCCL | TENSORRT | ROCM | HIP | NVHPC | NVM | FNM | VOLTA | ASDF | SDKMAN
    | RBENV | PYENV | NODENV | GOENV | JENV | PLENV | MISE | RTX | BUN | DENO | JAVA | JDK | JRE
    | MAVEN | M2 | ANT | GRADLE | SCALA | SBT | SPARK | HADOOP | ANDROID | NDK | FLUTTER | DART
    | DOTNET | GO | RUST | CARGO | RUSTUP | LLVM | CLANG | GCC | MKL | MKLROOT | ONEAPI | INTEL
    | MPI | OPENMPI | MPICH | MATLAB | JULIA | R | ERLANG | ELIXIR | HASKELL | GHC | STACK
    | CABAL | OPAM | NIX | GUIX | SPACK | EASYBUILD | LMOD | MODULESHOME | CONDA | MAMBA
    | MICROMAMBA | PIXI | POETRY | PIPX | UV | HF | TORCH )
    _? (HOME | ROOT | DIR | PATH | PREFIX | BASE)
    """
)
"""Toolchain homes (CUDA_HOME, JAVA_HOME, NVM_DIR, ROCM_PATH, CONDA_ROOT...): a program is
run or built from them. The catalogue's own (CARGO_HOME, PYENV_ROOT, HF_HOME) are reviewed."""


def code_or_trust_problem(name: str) -> str | None:
    """Why a name of the user's own (not the shipped catalogue's) holds trust, configuration
    or code rather than a cache or data location, or None."""
    upper = name.upper()
    if TOOLCHAIN_HOMES.fullmatch(upper):
        what = "a toolchain's home (programs are run or built from it)"
    elif HOLDS_TRUST_OR_CODE.fullmatch(upper):
        what = "a trust store, configuration, plugins, drivers or code"
    elif upper.endswith("DIRS"):
        what = "a search list of directories"
    else:
        return None
    return (f"{name!r} cannot be an entry of your own: it names {what}; only cache, data "
            "and state locations may be set from your settings (a reviewed catalogue entry "
            "is the only way past; see SECURITY.md)")


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
    if upper not in OWN_PATH_NAMES and (problem := code_or_trust_problem(name)):
        return problem
    if upper.endswith("PATH") and upper not in OWN_PATH_NAMES:
        return (f"{name!r} cannot be an entry: a name ending in PATH is a search list "
                "(name your own location *_DIR, *_HOME or *_CACHE)")
    if not upper.endswith(SHAPES):
        return (f"{name!r} cannot be an entry: only cache and data locations "
                f"(names ending in {', '.join(SHAPES)})")
    return None
