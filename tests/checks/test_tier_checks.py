"""verify, status and the node checks with two roots: scratch and a persistent root."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import need_root
from helpers.cli import cli
from helpers.place import Place
from helpers.roots import Roots

from scratchenv.checks.findings import Context, Finding, Report
from scratchenv.checks.node import check_root_writable
from scratchenv.checks.status import collect
from scratchenv.checks.verify import verify
from scratchenv.plan import build_plan


def find(report: Report, check: str, subject: str) -> Finding:
    matches = [f for f in report.findings if f.check == check and f.subject == subject]
    assert len(matches) == 1, f"{check} {subject}: {matches or report.findings}"
    return matches[0]


def failures(report: Report) -> list[tuple[str, str]]:
    return [(f.check, f.subject) for f in report.findings if f.status == "fail"]


def test_an_activated_two_root_environment_passes(place: Place, two_roots: Roots) -> None:
    work = two_roots.work
    settings = place.settings()
    report = verify(build_plan(settings), place.activated(settings))
    assert report.ok, failures(report)
    for root in (place.root, work):
        for check in ("root.exists", "root.owner", "root.permissions", "root.not_in_home",
                      "root.free_space"):
            assert find(report, check, str(root)).status == "pass"
    assert find(report, "var.under_root", "VENV_PATH").message == f"at {work}/nanochat-venv"


def test_a_venv_left_on_scratch_fails_against_its_own_root(place: Place, two_roots: Roots) -> None:
    work = two_roots.work
    # The old single-root setup: VENV_PATH on scratch, which a 10-day purge empties.
    environ = place.activated(VENV_PATH=f"{place.root}/nanochat-venv")
    report = verify(place.plan(), environ)
    finding = find(report, "var.under_root", "VENV_PATH")
    assert finding.status == "fail"
    assert f"not under the persistent root {work}" in finding.message
    assert finding.fix == f"export VENV_PATH={work}/nanochat-venv"
    assert failures(report) == [("var.under_root", "VENV_PATH")]


def test_a_cache_put_on_the_persistent_root_fails(place: Place, two_roots: Roots) -> None:
    work = two_roots.work
    environ = place.activated(PIP_CACHE_DIR=f"{work}/cache/pip")
    finding = find(verify(place.plan(), environ), "var.under_root", "PIP_CACHE_DIR")
    assert finding.status == "fail"
    assert f"not under the scratch root {place.root}" in finding.message


def test_a_missing_persistent_root_fails_on_its_own(place: Place, two_roots: Roots) -> None:
    work = two_roots.work
    settings = place.settings()
    environ = place.activated(settings)
    work.rmdir()
    report = verify(build_plan(settings), environ)
    finding = find(report, "root.exists", str(work))
    assert finding.status == "fail" and "the persistent root does not exist" in finding.message
    assert find(report, "root.exists", str(place.root)).status == "pass"


def test_a_world_writable_persistent_root_fails(place: Place, two_roots: Roots) -> None:
    work = two_roots.work
    os.chmod(work, 0o777)
    report = verify(place.plan(), place.activated())
    assert find(report, "root.permissions", str(work)).status == "fail"


def test_a_group_owned_persistent_root(place: Place, two_roots: Roots) -> None:
    """Set explicitly, a group project directory: group-writable passes, world-writable fails."""
    work = two_roots.work
    need_root("to make a directory another user owns")
    os.chown(work, 54321, os.getgid())
    os.chmod(work, 0o2770)
    settings = place.settings()
    report = verify(build_plan(settings), place.activated(settings))
    assert find(report, "root.owner", str(work)).status == "pass"
    assert find(report, "root.permissions", str(work)).status == "pass"
    assert report.ok, failures(report)
    os.chmod(work, 0o2777)
    report = verify(build_plan(settings), place.activated(settings))
    assert find(report, "root.owner", str(work)).status == "fail"
    assert find(report, "root.permissions", str(work)).status == "fail"


def test_verify_json_from_the_cli_names_both_roots(place: Place, two_roots: Roots) -> None:
    work = two_roots.work
    environ = place.activated()
    result = cli("verify", "--json", env=environ)
    assert result.returncode == 0, result.stdout + result.stderr
    subjects = {f["subject"] for f in json.loads(result.stdout)["findings"]
                if f["check"] == "root.free_space"}
    assert subjects == {str(place.root), str(work)}


def test_node_check_writes_on_both_roots(place: Place, two_roots: Roots) -> None:
    work = two_roots.work
    settings = place.settings()
    ctx = Context(build_plan(settings), place.activated(settings))
    found = check_root_writable(ctx)
    assert [(f.subject, f.status) for f in found] == [(str(place.root), "pass"),
                                                     (str(work), "pass")]


def test_status_measures_both_roots(place: Place, two_roots: Roots) -> None:
    work = two_roots.work
    settings = place.settings()
    environ = place.activated(settings)
    (Path(environ["VENV_PATH"]) / "bin").mkdir(parents=True)
    (Path(environ["VENV_PATH"]) / "bin" / "python").write_bytes(b"x" * 5000)
    Path(environ["PIP_CACHE_DIR"]).mkdir(parents=True)
    (Path(environ["PIP_CACHE_DIR"]) / "wheel").write_bytes(b"x" * 3000)
    (work / "notes").write_bytes(b"x" * 100)
    status = collect(build_plan(settings), environ)
    assert status.persistent_root == str(work) and status.persistent is not None
    assert status.persistent.path == str(work)
    assert status.persistent.files == 1 + 2 + 1  # python; bin and the venv dir; notes
    assert status.persistent.bytes >= 5100
    assert status.scratch.files == 1 + 2  # wheel; cache and pip dirs
    assert status.persistent_free and status.persistent_free > 0
    result = cli("status", env=environ)
    assert result.returncode == 0, result.stderr
    assert f"persistent {work}: " in result.stdout
    document = json.loads(cli("status", "--json", env=environ).stdout)
    assert document["persistent_root"] == str(work)
    assert document["persistent"]["files"] == 4


def test_status_warns_when_the_persistent_root_is_short_of_space(
        place: Place, two_roots: Roots, monkeypatch: pytest.MonkeyPatch) -> None:
    work = two_roots.work
    settings = place.settings()
    monkeypatch.setattr("scratchenv.checks.status.free_space",
                        lambda path: 1 if path == str(work) else 10**15)
    status = collect(build_plan(settings), place.activated(settings))
    assert [w for w in status.warnings if "free on the persistent root" in w]
    assert not [w for w in status.warnings if "free on scratch" in w]


def test_status_without_a_persistent_root_is_as_before(place: Place) -> None:
    status = collect(place.plan(), place.activated())
    assert status.persistent_root is None and status.persistent is None
