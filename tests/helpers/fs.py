"""Shared by the doctor / migrate / clean tests: an isolated home and root, trees, snapshots."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import CHECKOUT, need_root

IS_ROOT = os.geteuid() == 0
OLD = 1_600_000_000  # a fixed past mtime, so preserved times are noticed


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path, root: Path) -> None:
    """HOME and SCRATCHENV_ROOT point at test directories; nothing else leaks in."""
    for name in list(os.environ):
        if name.startswith(("SCRATCHENV_", "XDG_", "HF_")) or name in (
                "PIP_CACHE_DIR", "UV_CACHE_DIR", "TORCH_HOME", "CARGO_HOME", "RUSTUP_HOME"):
            monkeypatch.delenv(name, raising=False)
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("SCRATCHENV_ROOT", str(root))
    monkeypatch.setenv("SCRATCHENV_CONFIG", str(home / "no-config.toml"))
    monkeypatch.chdir(home)


@contextlib.contextmanager
def second_fs(where: Path, size: str) -> Iterator[Path]:
    """A directory on another file system: a tmpfs of `size` when root, else a plain dir."""
    where.mkdir(parents=True)
    if not IS_ROOT:
        if os.environ.get("CI"):
            pytest.fail("CI must run as root to mount a tmpfs for the cross-file-system tests")
        warnings.warn(f"not root: {where} is on the same file system (no tmpfs mounted)",
                      stacklevel=2)
        yield where
        return
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                    str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


def needs_root() -> None:
    """For tests that need a real small file system: fail in CI, skip (loudly) elsewhere."""
    need_root("to mount a small tmpfs")


def as_a_user(argv: list[str]) -> list[str]:
    """Run without root's power to ignore permissions (as root: drop those capabilities)."""
    if not IS_ROOT:
        return argv
    caps = "-dac_override,-dac_read_search,-fowner"
    return ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", *argv]


def make_tree(base: Path, files: int = 40, big: int = 0) -> None:
    """A tree with what users' caches hold: nested dirs, odd modes, empty and larger files,
    relative, absolute and dangling symlinks, a hard-linked pair, a name with spaces."""
    for i in range(files):
        d = base / f"d{i % 4}" / f"e{i % 3}"
        d.mkdir(parents=True, exist_ok=True)
        f = d / f"f{i}.bin"
        f.write_bytes(os.urandom(i * 97 % 5000))
        f.chmod(0o640 if i % 2 else 0o755)
        os.utime(f, (OLD + i, OLD + i))
    (base / "empty").write_bytes(b"")
    (base / "read only").write_bytes(b"precious")
    (base / "read only").chmod(0o444)
    if big:
        (base / "big.bin").write_bytes(os.urandom(big))
    (base / "d0" / "rel-link").symlink_to("e0/f0.bin")
    (base / "dangling").symlink_to("does-not-exist")
    (base / "abs-link").symlink_to("/etc/hostname")
    os.link(base / "d1" / "e1" / "f1.bin", base / "hardlink.bin")
    (base / "d3").chmod(0o750)
    for d in (base / "d0", base / "d1", base / "d3"):
        os.utime(d, (OLD, OLD))


def snapshot(base: Path) -> dict[str, tuple]:
    """Everything a user would notice about a tree: kinds, contents, modes, mtimes, links."""
    result: dict[str, tuple] = {}
    if not os.path.lexists(base):
        return result
    for dirpath, dirnames, filenames in os.walk(base):
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, base)
            st = os.lstat(path)
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                result[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                result[rel] = ("dir", mode, st.st_mtime_ns)
            else:
                digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
                result[rel] = ("file", digest, mode, st.st_mtime_ns)
    return result


def files_only(snap: dict[str, tuple]) -> dict[str, tuple]:
    return {rel: value for rel, value in snap.items() if value[0] != "dir"}



def with_our_packages() -> dict[str, str]:
    """This environment, plus this interpreter's packages on PYTHONPATH: for a venv made
    with --system-site-packages (which sees only the base interpreter's) to run scratchenv."""
    import sysconfig

    # The checkout itself too: an editable install is a .pth file, which PYTHONPATH skips.
    checkout = str(CHECKOUT)
    paths = [os.environ.get("PYTHONPATH", ""), checkout, sysconfig.get_paths()["purelib"]]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
