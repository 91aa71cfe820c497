"""A ~/.cargo from an earlier rustup install, after bootstrap put Cargo on scratch: the real
rustup's proxies are recognised and settled, the rest moves, doctor and migrate agree."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import unavailable
from helpers.fs import isolate

from scratchenv import proc
from scratchenv.bootstrap import rust
from scratchenv.main import main


@pytest.fixture
def earlier_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """rustup-init run into ~/.cargo and ~/.rustup (as rustup.rs does), plus what a user
    adds there: a crate in the registry cache and a `cargo install`ed binary."""
    binary = rust.rustup_binary_in_wheel()
    if binary is None:
        unavailable("the `rustup` wheel is missing (pip install -e '.[test]')")
    home, root = tmp_path / "home", tmp_path / "scratch"
    isolate(monkeypatch, home, root)
    init = tmp_path / "rustup-init"
    init.symlink_to(binary)
    cargo = home / ".cargo"
    env = {**os.environ, "CARGO_HOME": str(cargo), "RUSTUP_HOME": str(home / ".rustup")}
    result = proc.run([str(init), "-y", "--no-modify-path", "--default-toolchain", "none"],
                      env=env, timeout=120)
    assert result.ok, result.stderr
    assert os.path.samefile(cargo / "bin" / "cargo", cargo / "bin" / "rustup")
    (cargo / "registry" / "cache").mkdir(parents=True)
    (cargo / "registry" / "cache" / "serde-1.0.0.crate").write_bytes(b"crate" * 100)
    (cargo / "bin" / "my-tool").write_text("#!/bin/sh\necho mine\n")
    (cargo / "bin" / "my-tool").chmod(0o755)
    return {"home": home, "root": root, "cargo": cargo}


def doctor(capsys) -> tuple[int, dict[str, dict]]:
    code = main(["doctor", "--json"])
    found = json.loads(capsys.readouterr().out)["findings"]
    return code, {f["path"]: f for f in found}


def test_proxies_are_settled_the_rest_moves_and_doctor_agrees(earlier_install, capsys):
    home, root, cargo = (earlier_install[k] for k in ("home", "root", "cargo"))
    assert main(["bootstrap", "--rust", "--toolchain", "none"]) == 0
    scratch_bin = root / ".cargo" / "bin"
    assert os.path.samefile(scratch_bin / "cargo", scratch_bin / "rustup")
    capsys.readouterr()

    code, found = doctor(capsys)
    finding = found[str(cargo)]
    assert code == 1 and finding["fixable"]
    assert finding["action"].startswith(
        f"`scratchenv migrate cargo` moves it to {root}/.cargo and removes rustup's own files "
        "in ~/.cargo/bin that scratch has too (cargo, ")
    assert "my-tool" not in finding["action"]
    assert "leaves ~/.cargo/env (rustup's shell setup, sourced by rc files)" in finding["action"]

    assert main(["migrate", "cargo", "--apply", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "conflict" not in out and "removed 14 of rustup's own files: scratch has them too" in out
    # What is left is rustup's shell setup, which the rc files rustup-init edited source.
    assert sorted(p.name for p in cargo.iterdir()) == ["env", "env.fish", "env.tcsh"]
    assert proc.run(["sh", "-c", f". {cargo}/env"]).ok
    assert (root / ".cargo" / "registry" / "cache" / "serde-1.0.0.crate").read_bytes() == \
        b"crate" * 100
    assert proc.run([str(scratch_bin / "my-tool")]).stdout == "mine\n"
    # Scratch's own rustup and proxies are untouched and still work.
    assert os.path.samefile(scratch_bin / "cargo", scratch_bin / "rustup")
    assert proc.run([str(scratch_bin / "rustup"), "--version"]).ok

    code, found = doctor(capsys)
    assert str(cargo) not in found
    # Every finding migrate fixes, the command doctor names fixes.
    for path, finding in found.items():
        if finding["fixable"]:
            command = finding["action"].split("`")[1].split()[1:]
            assert main([*command, "--apply", "--yes"]) == 0, path
            capsys.readouterr()
    code, found = doctor(capsys)
    assert code == 0, [f for f in found.values() if f["fixable"]]
