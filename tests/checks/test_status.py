"""status: sizes of the managed locations, home, scratch, quotas and warnings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import cli
from helpers.place import Place

from scratchenv.checks.status import collect
from scratchenv.plan import build_plan


def fill(directory: Path, files: int, size: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for number in range(files):
        (directory / f"f{number}").write_bytes(b"x" * size)


def test_collect_measures_each_location_and_the_rest_of_scratch(place: Place) -> None:
    settings = place.settings()
    environ = place.activated(settings)
    fill(Path(environ["HF_HOME"]), 10, 100_000)
    fill(Path(environ["PIP_CACHE_DIR"]), 3, 4096)
    fill(place.root / "other", 5, 4096)
    fill(place.home / "docs", 2, 4096)
    status = collect(build_plan(settings), environ)
    by_name = {loc.name: loc for loc in status.locations}
    assert by_name["HF_HOME"].files == 10 and by_name["HF_HOME"].bytes >= 1_000_000
    assert by_name["PIP_CACHE_DIR"].files == 3
    assert not by_name["TORCH_HOME"].exists
    # Scratch = the locations + everything else under the root, each file counted once.
    assert status.scratch.files == 10 + 3 + 5 + 4  # + cache, huggingface, pip, other dirs
    assert status.scratch.bytes >= by_name["HF_HOME"].bytes + 5 * 4096
    assert status.home.source == "scan" and status.home.files >= 3
    assert status.scratch_free and status.scratch_free > 0
    assert status.quotas and status.quotas[0].source == "statvfs"
    assert status.warnings == []


def test_warnings_follow_the_thresholds(place: Place, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRATCHENV_THRESHOLDS__HOME_WARN", "10K")
    monkeypatch.setenv("SCRATCHENV_THRESHOLDS__SCRATCH_WARN", "10K")
    monkeypatch.setenv("SCRATCHENV_THRESHOLDS__MIN_FREE", "1P")
    fill(place.home / "big", 10, 10_000)
    fill(place.root / "big", 10, 10_000)
    settings = place.settings()
    warnings = " | ".join(collect(build_plan(settings), place.activated(settings)).warnings)
    assert "home uses" in warnings and "thresholds.home_warn" in warnings
    assert "scratch uses" in warnings and "thresholds.scratch_warn" in warnings
    assert "free on scratch" in warnings


def test_status_command_shows_bars_and_json(place: Place) -> None:
    settings = place.settings()
    environ = place.activated(settings)
    fill(Path(environ["UV_CACHE_DIR"]), 2, 100_000)
    fill(Path(environ["HF_HOME"]), 20, 100_000)
    result = cli("status", env=environ)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    hf = next(line for line in lines if line.startswith("HF_HOME"))
    uv = next(line for line in lines if line.startswith("UV_CACHE_DIR"))
    assert hf.count("█") == 20  # the biggest fills its bar
    assert 1 <= uv.count("█") < 5
    assert any(line.startswith("home ") for line in lines)
    document = json.loads(cli("status", "--json", env=environ).stdout)
    assert document["schema_version"] == 1
    assert {loc["name"] for loc in document["locations"]} >= {"HF_HOME", "UV_CACHE_DIR"}
    assert document["quotas"][0]["files"]["used"] > 0


def test_status_sorts_by_size_and_folds_the_empty_ones(place: Place) -> None:
    # The issue: 45 rows in catalogue order, mostly empty.
    settings = place.settings()
    environ = place.activated(settings)
    fill(Path(environ["PIP_CACHE_DIR"]), 1, 10_000)
    fill(Path(environ["TORCH_HOME"]), 5, 100_000)
    fill(Path(environ["UV_CACHE_DIR"]), 2, 100_000)
    Path(environ["CARGO_HOME"]).mkdir(parents=True)  # created, nothing in it: empty too
    lines = cli("status", env=environ).stdout.splitlines()
    table = lines[1:lines.index("") if "" in lines else None]
    names = [line.split()[0] for line in table if not line.startswith("+")]
    assert names[:3] == ["TORCH_HOME", "UV_CACHE_DIR", "PIP_CACHE_DIR"]
    assert "CARGO_HOME" not in names and "WANDB_DIR" not in names
    [folded] = [line for line in table if line.startswith("+ ")]
    assert "empty or not created yet" in folded and "CARGO_HOME" in folded
    assert "WANDB_DIR" in folded and "status --all" in folded
    everything = cli("status", "--all", env=environ).stdout.splitlines()
    rows = [line.split()[0] for line in everything if line.split()[:1] and
            line.split()[0].isupper() and "_" in line.split()[0]]
    assert {"CARGO_HOME", "WANDB_DIR", "TORCH_HOME"} <= set(rows)
    assert "(not created yet)" in next(line for line in everything
                                       if line.startswith("WANDB_DIR"))
    assert not any(line.startswith("+ ") for line in everything)


def test_status_top_breaks_the_root_down_like_du(place: Place) -> None:
    settings = place.settings()
    environ = place.activated(settings)
    fill(place.root / "big", 30, 100_000)
    fill(place.root / "small", 2, 4096)
    fill(Path(environ["UV_CACHE_DIR"]), 3, 50_000)  # under root/cache
    result = cli("status", "--top", "2", env=environ)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    at = lines.index(f"largest under {place.root} (like du -s):")
    top = lines[at + 1:at + 3]
    assert top[0].endswith(f"{place.root}/big") and top[1].endswith(f"{place.root}/cache")


    du = subprocess.run(["du", "-s", "--block-size=1", str(place.root / "big")],
                        capture_output=True, text=True, check=True).stdout.split()[0]
    document = json.loads(cli("status", "--top", "--json", env=environ).stdout)
    assert document["top"][0]["path"] == f"{place.root}/big"
    assert document["top"][0]["bytes"] == int(du)
    assert {entry["path"] for entry in document["top"]} == {
        f"{place.root}/{name}" for name in ("big", "small", "cache")}
    assert cli("status", "--top", "0", env=environ).returncode == 2


def test_check_space(place: Place) -> None:
    environ = dict(os.environ)
    ok = cli("check-space", "--need", "1K", env=environ)
    assert ok.returncode == 0 and ok.stdout.startswith("ok: ")
    short = cli("check-space", "--need", "900P", str(place.base), env=environ)
    assert short.returncode == 1
    assert short.stderr.startswith(f"scratchenv: error: not enough space on {place.base}")
    assert len(short.stderr.splitlines()) == 1
    bad = cli("check-space", "--need", "lots", env=environ)
    assert bad.returncode == 2
    missing = place.base / "not" / "yet"
    ahead = cli("check-space", "--need", "1K", str(missing), env=environ)
    assert ahead.returncode == 0
    assert f"on {place.base} (the nearest existing parent of {missing}, which does " \
           "not exist yet)" in ahead.stdout
    huge = cli("check-space", env={**environ, "SCRATCHENV_THRESHOLDS__MIN_FREE": "9" * 400})
    assert huge.returncode == 2
    assert huge.stderr.startswith("scratchenv: error: invalid setting thresholds.min_free: "
                                  "size too large: ") and len(huge.stderr.splitlines()) == 1


def test_status_shares_a_big_root_out_to_processes(place: Place, monkeypatch) -> None:
    from helpers.sharing import share_early

    from scratchenv.checks import status as module
    from scratchenv.disk import usage

    share_early(usage, monkeypatch.setattr)  # this root counts as big
    for index in range(12):
        fill(place.root / f"d{index % 3}" / f"e{index}", 15, 3000)
    walks: dict[str, usage.Usage] = {}
    monkeypatch.setattr(module, "scan", lambda path, **options: walks.setdefault(
        path, usage.scan(path, **options)))
    settings = place.settings()
    status = collect(build_plan(settings), place.activated(settings))
    assert walks[str(place.root)].processes > 1
    du = subprocess.run(["du", "-s", "-x", "--inodes", str(place.root)], check=True,
                        capture_output=True, text=True).stdout
    assert status.scratch.files == int(du.split()[0]) - 1  # du counts the root itself


def test_status_imports_neither_checkpoint_code_nor_pydantic_once_its_plan_is_kept(
        place: Place) -> None:
    # Start-up is what a person waits for first: status needs no checkpoint code, and from
    # its second run on the Plan kept for the same inputs (login/resolution.py).
    code = ("import sys; from scratchenv.main import main; code = main(['status']); "
            "print(code, sorted(m for m in sys.modules if m.startswith("
            "('scratchenv.checkpoints', 'pydantic', 'concurrent'))), file=sys.stderr)")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=place.activated(), cwd=place.base) for _ in range(2)]
    first, second = (run.stderr.splitlines()[-1] for run in runs)
    assert first.startswith("0 [") and "scratchenv.checkpoints" not in first, first
    assert second == "0 []", runs[1].stderr
