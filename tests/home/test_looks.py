"""Looks at home over time: what grew between two looks and who wrote it, the record's
bounds and trust, and the line the login reads."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from scratchenv.config.settings import load_settings
from scratchenv.home import looks
from scratchenv.home.looks import Look
from scratchenv.main import main
from scratchenv.plan import build_plan

MB = 1024**2
SKEL = Path("/etc/skel")


def plant(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))


@pytest.fixture
def home(isolated: Path, root: Path) -> Path:
    """A stock home (/etc/skel when there is one) with a Hugging Face cache in it."""
    if SKEL.is_dir():
        shutil.copytree(SKEL, isolated, dirs_exist_ok=True)
    plant(isolated / ".cache/huggingface/hub/models--a/blob", 1 * MB)
    return isolated


def status_home(capsys: pytest.CaptureFixture[str], *flags: str) -> str:
    assert main(["status", "--home", *flags]) == 0
    return capsys.readouterr().out


def test_growth_between_two_looks_names_the_writer_and_the_fix(
        home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    first = status_home(capsys)
    assert "first look" in first
    plant(home / ".cache/huggingface/hub/models--b/blob", 3 * MB)   # a catalogue tool
    plant(home / "mystery/run.log", 2 * MB)                          # nothing knows it
    plant(home / ".local/share/somedb/data", 2 * MB)                 # nor this, deeper
    monkeypatch.setenv("SCRATCHENV_THRESHOLDS__HOME_GROWTH", "4M")
    second = json.loads(status_home(capsys, "--json"))

    assert second["schema_version"] == 1 and second["previous"] is not None
    by_path = {change["path"]: change for change in second["changes"]}
    hf = by_path[str(home / ".cache/huggingface")]
    assert hf["writer"] == "HF_HOME" and hf["change"] >= 3 * MB
    assert "`scratchenv migrate huggingface` moves it to" in hf["advice"]
    for unknown in (home / "mystery", home / ".local/share/somedb"):
        change = by_path[str(unknown)]
        assert change["kind"] == "unknown" and change["change"] >= 2 * MB
        assert change["advice"] == "unknown writer: `scratchenv doctor` for what to do"
    # Grown by more than thresholds.home_growth: the login's line says so.
    assert second["warning"].startswith("home ") and "since" in second["warning"]
    assert second["warning"].endswith("; scratchenv status --home")
    watch = (home / ".local/state/scratchenv/home-watch").read_text().splitlines()
    assert watch[1] == second["warning"] and int(watch[0]) > time.time()


def test_the_picture_has_a_bar_and_a_growth_mark_per_top_level_place(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status_home(capsys)
    plant(home / "mystery/big", 5 * MB)
    text = status_home(capsys)
    row = next(line for line in text.splitlines() if line.lstrip().startswith("~/mystery "))
    assert "▲ +5.0M" in row
    assert "changed since" in text and "~/mystery" in text.split("changed since")[1]


def test_nothing_to_say_when_home_is_small_and_steady(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status_home(capsys)
    document = json.loads(status_home(capsys, "--json"))
    assert document["warning"] is None and document["changes"] == []
    assert (home / ".local/state/scratchenv/home-watch").read_text().splitlines()[1] == ""


def test_the_record_is_bounded(home: Path) -> None:
    environ = {**os.environ}
    many = {f"/h/place{i}": i for i in range(looks.MAX_PLACES + 50)}
    looks.save(environ, [Look(float(i), 1, None, "scan", dict(many))
                         for i in range(looks.MAX_LOOKS + 10)])
    kept, notice = looks.load(environ)
    assert notice is None and len(kept) == looks.MAX_LOOKS and kept[-1].taken == 39.0
    assert len(kept[-1].places) == looks.MAX_PLACES
    assert sum(kept[-1].places.values()) == sum(many.values())  # the rest summed, not lost
    assert os.stat(looks.record_path(environ)).st_mode & 0o777 == 0o600


def test_a_record_others_could_write_is_not_trusted(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status_home(capsys)
    record = Path(looks.record_path(os.environ))
    record.chmod(0o664)
    assert main(["status", "--home"]) == 0
    captured = capsys.readouterr()
    assert "first look" in captured.out
    assert f"{record} ignored: someone else could have written it" in captured.err


def test_the_nearest_quota_limit_and_the_soft_limit_warn(root: Path) -> None:
    limits = load_settings().thresholds
    near = Look(time.time(), used=int(9.5 * 1024**3), limit=10 * 1024**3, source="lfs quota")
    assert looks.warning(None, near, limits) == "home 9.5G of 10G; scratchenv status --home"
    fine = Look(time.time(), used=5 * 1024**3, limit=10 * 1024**3, source="lfs quota")
    assert looks.warning(None, fine, limits) is None
    over = Look(time.time(), used=11 * 1024**3, limit=10 * 1024**3, source="quota",
                over_soft=True, grace="6days")
    assert looks.warning(None, over, limits) == (
        "home 11G of 10G (over the soft quota, grace 6days); scratchenv status --home")


def test_since_reads_like_a_person_says_it() -> None:
    now = time.mktime((2026, 12, 8, 15, 0, 0, 0, 0, -1))  # a Tuesday
    at = lambda *day: time.mktime((2026, *day, 0, 0, -1))  # noqa: E731
    assert looks.since(at(12, 8, 14, 3, 0), now) == "14:03"
    assert looks.since(at(12, 7, 14, 3, 0), now) == "yesterday 14:03"
    assert looks.since(at(12, 5, 9, 30, 0), now, short=True) == "Sat"
    assert looks.since(at(11, 20, 9, 30, 0), now) == "2026-11-20 09:30"


def test_a_background_look_never_runs_twice_at_once(home: Path) -> None:
    settings = load_settings()
    plan = build_plan(settings)
    os.makedirs(os.path.dirname(looks.record_path(os.environ)), exist_ok=True)
    lock = os.open(os.path.join(os.path.dirname(looks.record_path(os.environ)), looks.LOCK),
                   os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        looks.background(plan, os.environ)
        assert not os.path.exists(looks.record_path(os.environ))
    finally:
        os.close(lock)
    looks.background(plan, os.environ)
    assert len(looks.load(os.environ)[0]) == 1
