"""doctor, migrate and clean with two roots: caches on scratch, toolchains and the venv on a
persistent root (each root on its own file system when the tests run as root)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers.fs import isolate, make_tree, needs_root, second_fs, snapshot

from scratchenv.main import main

pytestmark = pytest.mark.two_file_systems  # for `two_roots`: moves cross file systems


def tree(base: Path) -> list[str]:
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*"))


# --- clean --------------------------------------------------------------------------------


def fill(root: Path, work: Path) -> None:
    for base, rel in ((root, "cache/pip/http/a"), (root, "cache/uv/b"),
                      (root, "nanochat-cache/data/shard"), (work, ".cargo/bin/cargo"),
                      (work, ".rustup/toolchains/t"), (work, "nanochat-venv/bin/python")):
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_text(rel)


def test_clean_removes_each_group_from_its_own_root(two_roots, capsys) -> None:
    _, root, work = two_roots
    fill(root, work)
    assert main(["clean", "toolchains"]) == 0
    out = capsys.readouterr().out
    assert f"{work}/.cargo" in out and f"{work}/.rustup" in out and "dry run" in out
    assert main(["clean", "toolchains", "--apply"]) == 0
    assert not (work / ".cargo").exists() and not (work / ".rustup").exists()
    assert (work / "nanochat-venv" / "bin" / "python").exists()
    assert main(["clean", "caches", "--apply"]) == 0
    assert not (root / "cache" / "pip").exists()
    assert main(["clean", "envs", "--apply"]) == 0
    assert tree(work) == []
    assert tree(root) == ["cache", "nanochat-cache", "nanochat-cache/data",
                          "nanochat-cache/data/shard"]


def test_clean_refuses_a_persistent_location_that_leads_onto_scratch(two_roots, capsys,
                                                                    monkeypatch) -> None:
    """Containment is per root: the venv must be inside the persistent root, and a symlink
    from there into the scratch root (or anywhere) is not."""
    _, root, work = two_roots
    fill(root, work)
    (root / "elsewhere").mkdir()
    (root / "elsewhere" / "keep").write_text("mine")
    (work / "linked").symlink_to(root / "elsewhere")
    config = work.parent / "config.toml"
    config.write_text('[vars.LINKED_TOOL_HOME]\npath = "linked/sub"\ngroup = "toolchain"\n')
    (root / "elsewhere" / "sub").mkdir()
    monkeypatch.setenv("SCRATCHENV_CONFIG", str(config))
    assert main(["clean", "toolchains", "--apply"]) == 1
    assert "through a symlink" in capsys.readouterr().err
    assert (root / "elsewhere" / "keep").read_text() == "mine"
    assert (root / "elsewhere" / "sub").is_dir()
    assert not (work / ".cargo").exists()


# --- migrate and doctor ---------------------------------------------------------------------


def test_migrate_moves_each_tool_to_its_own_root(two_roots, capsys) -> None:
    home, root, work = two_roots
    make_tree(home / ".cache" / "pip", files=10)
    make_tree(home / ".cargo", files=10)
    pip, cargo = snapshot(home / ".cache" / "pip"), snapshot(home / ".cargo")
    assert main(["doctor", "--json"]) == 1
    doctor = json.loads(capsys.readouterr().out)
    assert doctor["root"] == str(root) and doctor["persistent_root"] == str(work)
    actions = {f["path"]: f["action"] for f in doctor["findings"] if f["kind"] == "movable"}
    assert actions[str(home / ".cargo")].endswith(f"moves it to {work}/.cargo")
    assert actions[str(home / ".cache" / "pip")].endswith(f"moves it to {root}/cache/pip")

    assert main(["migrate", "pip", "cargo", "--apply", "--yes"]) == 0
    assert snapshot(work / ".cargo") == cargo
    assert snapshot(root / "cache" / "pip") == pip
    assert not (root / ".cargo").exists() and not (work / "cache").exists()
    assert not (home / ".cargo").exists()


def test_migrate_checks_the_persistent_file_system_for_space(tmp_path, monkeypatch,
                                                             capsys) -> None:
    """Room on scratch is not room on the persistent root: the small one refuses, and
    nothing moves, not even what would fit on scratch."""
    needs_root()
    home = tmp_path / "home"
    with second_fs(tmp_path / "scratch-fs", "64m") as scratch_fs, \
            second_fs(tmp_path / "work-fs", "256k") as work_fs:
        root, work = scratch_fs / "scratch", work_fs / "work"
        work.mkdir(mode=0o700)
        isolate(monkeypatch, home, root)
        monkeypatch.setenv("SCRATCHENV_PERSISTENT_ROOT", str(work))
        make_tree(home / ".cache" / "pip", files=5)
        make_tree(home / ".cargo", files=10, big=1_000_000)
        before = snapshot(home)
        assert main(["migrate", "pip", "cargo", "--apply", "--yes"]) == 1
        err = capsys.readouterr().err
        assert "not enough space, nothing moved" in err
        assert snapshot(home) == before
        assert not (work / ".cargo").exists() and not (root / "cache").exists()


def test_doctor_reports_no_purge_risk_on_the_persistent_root(two_roots, capsys,
                                                            monkeypatch) -> None:
    """purge.days is scratch's policy: an old venv on the persistent root is safe."""
    _, root, work = two_roots
    fill(root, work)
    for path in (work / "nanochat-venv" / "bin" / "python", root / "cache" / "pip" / "http" / "a"):
        os.utime(path, (1_600_000_000, 1_600_000_000))
    monkeypatch.setenv("SCRATCHENV_PURGE__DAYS", "30")
    main(["doctor", "--json"])
    doctor = json.loads(capsys.readouterr().out)
    assert [f for f in doctor["findings"] if f["kind"] == "purge"] == []
    monkeypatch.delenv("SCRATCHENV_PERSISTENT_ROOT")
    (root / "nanochat-venv" / "bin").mkdir(parents=True)
    (root / "nanochat-venv" / "bin" / "python").write_text("x")
    os.utime(root / "nanochat-venv" / "bin" / "python", (1_600_000_000, 1_600_000_000))
    main(["doctor", "--json"])
    doctor = json.loads(capsys.readouterr().out)
    assert [f["path"] for f in doctor["findings"] if f["kind"] == "purge"] == \
        [str(root / "nanochat-venv")]


def test_doctor_reports_what_a_single_root_setup_left_on_scratch(two_roots, capsys) -> None:
    """Setting persistent_root later: the old venv, toolchain and checkpoint directories on
    scratch are no longer used, and a purge will take them; doctor says what to do."""
    _, root, work = two_roots
    for rel in ("nanochat-venv/bin/python", ".cargo/bin/cargo", "cache/pip/x",
                "checkpoints_src_repo/checkpoint-1/model.bin"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x")
    assert main(["doctor", "--json"]) == 0  # nothing migrate fixes
    found = {f["path"]: f for f in json.loads(capsys.readouterr().out)["findings"]
             if f["kind"] == "tier"}
    assert sorted(found) == sorted(str(root / rel) for rel in
                                   ("nanochat-venv", ".cargo", "checkpoints_src_repo"))
    assert "scratchenv bootstrap --venv" in found[str(root / "nanochat-venv")]["action"]
    assert f"at {work}/.cargo" in found[str(root / ".cargo")]["action"]
    assert "checkpoints adopt" in found[str(root / "checkpoints_src_repo")]["action"]
    assert found[str(root / "nanochat-venv")]["files"] == 2
