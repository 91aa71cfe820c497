"""rustup and a toolchain under CARGO_HOME / RUSTUP_HOME on scratch; never ~ or rc files."""

from __future__ import annotations

import filecmp
import os
import sys
import tomllib
import zipfile
from pathlib import Path

from scratchenv import proc
from scratchenv.bootstrap.steps import DONE, MISSING, STATE_DIR, RunContext, State, Step
from scratchenv.errors import ScratchenvError
from scratchenv.fsutil import atomic_write, makedirs_private


class RustupStep(Step):
    """rustup-init with CARGO_HOME and RUSTUP_HOME under scratch; never touches ~ or rc files."""

    name = "rustup"

    def __init__(self, cargo_home: Path, installer: str | None) -> None:
        self.cargo_home = cargo_home
        self.installer = installer
        """rustup-init given or found on PATH; None: the `rustup` wheel's binary."""

    @property
    def rustup(self) -> Path:
        return self.cargo_home / "bin" / "rustup"

    def check(self, ctx: RunContext) -> State:
        if not os.path.lexists(self.rustup):
            return MISSING
        if os.access(self.rustup, os.X_OK) and ctx.probe([str(self.rustup), "--version"]).ok:
            return DONE
        return State("broken", f"{self.rustup} does not run")

    def describe(self) -> str:
        source = self.installer or "rustup-init (from the `rustup` package on PyPI)"
        return f"{source} -y --no-modify-path --default-toolchain none"

    def do(self, ctx: RunContext) -> None:
        installer = self.installer or str(rustup_init_from_wheel(ctx))
        # The toolchain is its own step, so a failed download keeps rustup installed.
        ctx.run([installer, "-y", "--no-modify-path", "--default-toolchain", "none"])


class ToolchainStep(Step):
    def __init__(self, rustup: RustupStep, toolchain: str) -> None:
        self.rustup = rustup
        self.requires = rustup
        self.toolchain = toolchain
        self.name = f"toolchain {toolchain}"

    def check(self, ctx: RunContext) -> State:
        listing = ctx.probe([str(self.rustup.rustup), "toolchain", "list"])
        names = [line.split()[0] for line in listing.stdout.splitlines() if line.strip()]
        wanted = self.toolchain
        return DONE if any(n == wanted or n.startswith(wanted + "-") for n in names) else MISSING

    def command(self) -> list[str]:
        # Installs the toolchain when it is missing, and makes it the default.
        return [str(self.rustup.rustup), "default", self.toolchain]


def rustup_binary_in_wheel() -> Path | None:
    """The rustup binary of the `rustup` distribution installed next to scratchenv, if any."""
    from importlib import metadata

    try:
        dist = metadata.distribution("rustup")
    except metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if file.name == "rustup" and file.parent.name == "bin":
            path = Path(str(dist.locate_file(file))).resolve()
            if path.is_file():
                return path
    return None


def rustup_init_from_wheel(ctx: RunContext) -> Path:
    """A `rustup-init` link to the rustup binary of the `rustup` wheel.

    Invoked under the name rustup-init, the rustup binary is the installer. The wheel
    installed next to scratchenv is used when there is one; else it is downloaded into
    `{root}/.scratchenv/downloads` (pip's cache on scratch) and its binary extracted.
    """
    state = ctx.root / STATE_DIR
    binary = rustup_binary_in_wheel()
    if binary is None:
        binary = state / "bin" / "rustup"
        if not binary.is_file():
            downloads = state / "downloads"
            makedirs_private(downloads)
            ctx.run(proc.python_argv(sys.executable, "-m", "pip", "download", "--no-deps",
                                     "--only-binary=:all:", "--dest", str(downloads),
                                     "rustup"), cwd=proc.SAFE_CWD)
            _extract_rustup(downloads, binary)
    link = state / "bin" / "rustup-init"
    makedirs_private(link.parent)
    if os.path.lexists(link):
        link.unlink()
    link.symlink_to(binary)
    return link


def _extract_rustup(downloads: Path, binary: Path) -> None:
    wheels = sorted(downloads.glob("rustup-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise ScratchenvError(f"pip download left no rustup wheel in {downloads}")
    with zipfile.ZipFile(wheels[-1]) as wheel:
        member = next((n for n in wheel.namelist() if n.endswith(".data/scripts/rustup")), None)
        if member is None:
            raise ScratchenvError(f"{wheels[-1].name} has no rustup binary")
        atomic_write(binary, wheel.read(member), mode=0o755)



PROXY_NAMES = frozenset({
    # rustup's proxies (rustup/src/lib.rs TOOLS and DUP_TOOLS), and rustup itself
    "rustup", "cargo", "rustc", "rustdoc", "rust-gdb", "rust-gdbgui", "rust-lldb",
    "rust-analyzer", "rustfmt", "cargo-fmt", "cargo-clippy", "clippy-driver", "cargo-miri",
    "rls",
})


def is_proxy(path: str) -> bool:
    """True for rustup itself and for its proxies in a Cargo `bin`: links to, or copies of,
    the rustup binary beside them, which rustup makes again wherever it is installed."""
    name = os.path.basename(path)
    if name not in PROXY_NAMES:
        return False
    rustup = os.path.join(os.path.dirname(path), "rustup")
    if os.path.islink(path):
        target = os.readlink(path)
        return os.path.basename(target) == "rustup" or \
            os.path.realpath(path) == os.path.realpath(rustup)
    if name == "rustup":
        return os.path.isfile(path)
    try:
        if os.path.samefile(path, rustup):  # rustup-init makes hard links
            return True
        return filecmp.cmp(path, rustup, shallow=False)  # or copies, where links fail
    except OSError:
        return False


def superseded_proxies(cargo_home: str, other: str) -> list[str]:
    """rustup's files in `cargo_home`/bin that `other`/bin (the Cargo home in use) has too."""
    bin_dir = os.path.join(cargo_home, "bin")
    try:
        names = sorted(os.listdir(bin_dir))
    except OSError:
        return []
    return [os.path.join(bin_dir, name) for name in names
            if is_proxy(os.path.join(bin_dir, name))
            and os.path.lexists(os.path.join(other, "bin", name))]


def env_scripts(cargo_home: str) -> list[str]:
    """rustup's shell setup files in `cargo_home` (env, env.fish, ...), which the rc files
    rustup-init edited source: removed or moved, every new shell would print an error."""
    try:
        names = sorted(os.listdir(cargo_home))
    except OSError:
        return []
    found = []
    for name in names:
        path = os.path.join(cargo_home, name)
        if not (name == "env" or name.startswith("env.")) or not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                head = handle.read(200)
        except OSError:
            continue
        if "# rustup" in head:
            found.append(path)
    return found


def superseded_settings(rustup_home: str, other: str) -> list[str]:
    """`rustup_home`/settings.toml when it says nothing the one in `other` (the RUSTUP_HOME
    in use) does not: no overrides, and every other setting the same there."""
    mine, theirs = (os.path.join(base, "settings.toml") for base in (rustup_home, other))
    try:
        with open(mine, "rb") as handle:
            old = tomllib.load(handle)
        with open(theirs, "rb") as handle:
            new = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return []
    if old.get("overrides"):
        return []
    if all(new.get(key) == value for key, value in old.items() if key not in ("version",
                                                                            "overrides")):
        return [mine]
    return []
