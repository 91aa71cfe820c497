"""Purge awareness: files near the purge age in the venv, toolchains and checkpoints."""

from __future__ import annotations

import json
import os
import time

import pytest
from helpers.fs import isolate

from scratchenv.checks import purge
from scratchenv.config.settings import load_settings
from scratchenv.main import main
from scratchenv.plan import build_plan

DAY = 86400


@pytest.fixture
def root(tmp_path, monkeypatch):
    root = tmp_path / "scratch"
    isolate(monkeypatch, tmp_path / "home", root)
    monkeypatch.setenv("SCRATCHENV_PROJECT", "nanochat")
    monkeypatch.setenv("SCRATCHENV_PURGE__DAYS", "30")
    monkeypatch.setenv("SCRATCHENV_PURGE__MARGIN_DAYS", "7")
    return root


def aged(path, days_unused, *, atime_days=None):
    """A file last modified `days_unused` ago, and read `atime_days` ago (default: same)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * 100)
    now = time.time()
    atime = now - (days_unused if atime_days is None else atime_days) * DAY
    os.utime(path, (atime, now - days_unused * DAY))


def test_reports_files_older_than_age_minus_margin(root):
    aged(root / "nanochat-venv" / "lib" / "old.py", 25)         # 25 > 30 - 7: at risk
    aged(root / "nanochat-venv" / "lib" / "recent.py", 20)      # 20 < 23: fine
    aged(root / "nanochat-venv" / "bin" / "read.py", 40, atime_days=1)  # read yesterday: fine
    aged(root / ".rustup" / "toolchains" / "stable" / "rustc", 60)
    aged(root / "checkpoints_repo_main" / "checkpoint-10" / "model.bin", 24)
    aged(root / "cache" / "pip" / "old", 90)                     # a cache: rebuilt, not reported
    before = {p: os.stat(p).st_atime_ns for p in root.rglob("*") if p.is_file()}

    risks = purge.at_risk(build_plan(load_settings()))

    found = {(r.place, os.path.relpath(r.path, root)): (r.old_files, r.files) for r in risks}
    assert found == {("envs", "nanochat-venv"): (1, 3), ("toolchains", ".rustup"): (1, 1),
                     ("checkpoints", "checkpoints_repo_main"): (1, 1)}
    # Report only: nothing was read or touched (atimes unchanged).
    assert {p: os.stat(p).st_atime_ns for p in before} == before


def test_nothing_is_checked_without_a_purge_age(root, monkeypatch):
    monkeypatch.delenv("SCRATCHENV_PURGE__DAYS")
    aged(root / "nanochat-venv" / "lib" / "old.py", 400)
    settings = load_settings()
    assert purge.at_risk(build_plan(settings)) == []


def test_doctor_reports_purge_risk_without_counting_it(root, capsys):
    aged(root / "nanochat-venv" / "lib" / "old.py", 29)
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    [finding] = report["findings"]
    assert finding["kind"] == "purge" and finding["fixable"] is False
    assert "1 of 1 files unused for over 23 days" in finding["action"]
    assert report["purge_days"] == 30


def test_status_warns_about_purge_risk(root):
    from scratchenv.checks.status import collect

    aged(root / "nanochat-venv" / "lib" / "old.py", 29)
    found = [w for w in collect(build_plan(load_settings()), os.environ).warnings if "purge" in w]
    assert len(found) == 1 and found[0].startswith(f"{root}/nanochat-venv: 1 of 1 files")


def test_a_policy_by_mtime_counts_writes_only_and_doctor_says_so(root, monkeypatch, capsys):
    monkeypatch.setenv("SCRATCHENV_PURGE__BY", "mtime")
    aged(root / "nanochat-venv" / "bin" / "read.py", 40, atime_days=1)  # read, not written
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    [finding] = report["findings"]
    assert "1 of 1 files unwritten for over 23 days" in finding["action"]
    assert "purges after 30 by mtime (last write)" in finding["action"]
    assert report["purge_by"] == "mtime"
    assert main(["doctor"]) == 0
    assert "scratch purges files after 30 days, by mtime (last write)" in capsys.readouterr().out
