"""A centre recognised by the documented host names of its machines (centres.toml `hosts`).

The machine's name comes from `uname -n` and /etc/hosts (never DNS); each test replaces
hosts.node_name, since this machine is no centre's. Variables beat host names beat paths.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pytest

from scratchenv.config import centres, hosts
from scratchenv.config.settings import load_settings
from scratchenv.errors import ConfigError
from scratchenv.login.activate import inputs_key
from scratchenv.main import main

USER = "alice"
DELTA_LOGIN = "dt-login01.delta.ncsa.illinois.edu"  # Delta's login page names dt-login[01-04]


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("USER", USER)
    return Path(centres.SEARCH_ROOT)


def on_host(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setattr(hosts, "node_name", lambda: name)


def test_delta_is_recognised_from_its_login_node_name(
        sandbox: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (sandbox / "work" / "hdd" / "bbka" / USER).mkdir(parents=True)
    on_host(monkeypatch, "nid001234")
    found = centres.recognise(os.environ, USER)
    assert found is not None and found.evidence == "/work/hdd/*/$USER (yours)"
    on_host(monkeypatch, DELTA_LOGIN)
    found = centres.recognise(os.environ, USER)
    assert found is not None and found.centre.key == "delta"
    assert found.evidence == f"host {DELTA_LOGIN} (*.delta.ncsa.illinois.edu)"
    assert main(["env"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines()
               if line.startswith("centre "))
    assert "NCSA Delta" in row and f"recognised from host {DELTA_LOGIN}" in row


def test_a_short_node_name_is_completed_from_etc_hosts(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    table = tmp_path / "hosts"
    table.write_text("127.0.0.1 localhost\n"
                     "141.142.1.1 dt-login03 # the short name first\n"
                     "141.142.1.2 dt-login03.delta.ncsa.illinois.edu dt-login03\n"
                     "141.142.1.3 gpub001.delta.ncsa.illinois.edu\n")
    monkeypatch.setattr(hosts, "HOSTS_FILE", str(table))
    on_host(monkeypatch, "dt-login03")
    assert hosts.names() == ("dt-login03", "dt-login03.delta.ncsa.illinois.edu")
    assert centres.recognise(os.environ, USER).centre.key == "delta"  # type: ignore[union-attr]
    on_host(monkeypatch, "dt-login03.example.org")  # a name with a domain is taken as it is
    assert hosts.names() == ("dt-login03.example.org",)
    assert centres.recognise(os.environ, USER) is None


def test_a_pattern_without_a_dot_matches_the_first_label(monkeypatch: pytest.MonkeyPatch) -> None:
    # CSC's guide: `ssh <user>@puhti-login<n>`; its login nodes call themselves puhti-login11.
    for name, expected in [("puhti-login11.bullx", "csc"), ("mahti-login2", "csc"),
                           ("puhti-c1101.bullx", None), ("notpuhti-login1", None)]:
        on_host(monkeypatch, name)
        found = centres.recognise(os.environ, USER)
        assert (found and found.centre.key) == expected, name


def test_a_variable_beats_a_host_name_and_a_host_name_beats_a_path(
        sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (sandbox / "scratch" / "gpfs" / USER).mkdir(parents=True)  # Princeton's documented path
    assert centres.recognise(os.environ, USER).centre.key == "princeton"  # type: ignore[union-attr]
    on_host(monkeypatch, DELTA_LOGIN)
    assert centres.recognise(os.environ, USER).centre.key == "delta"  # type: ignore[union-attr]
    gilbreth = sandbox / "scratch" / "gilbreth" / USER
    gilbreth.mkdir(parents=True)
    monkeypatch.setenv("RCAC_SCRATCH", str(gilbreth))
    found = centres.recognise(os.environ, USER)
    assert found is not None and (found.centre.key, found.evidence) == ("purdue", "$RCAC_SCRATCH")
    assert load_settings().scratch_root == gilbreth


def test_a_host_name_recognises_the_centre_but_invents_no_root(
        sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (sandbox / "scratch").mkdir()
    on_host(monkeypatch, "puhti-login12")
    with pytest.raises(ConfigError, match="no scratch root found"):
        load_settings()


def test_the_login_file_is_remade_where_a_host_name_recognises_a_centre(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    keys = {}
    for name in ("nid001", "nid002", DELTA_LOGIN, "dt-login04.delta.ncsa.illinois.edu"):
        on_host(monkeypatch, name)
        keys[name] = inputs_key("bash", os.environ, str(tmp_path))
    assert keys["nid001"] == keys["nid002"]  # compute nodes share one file
    assert keys[DELTA_LOGIN] == keys["dt-login04.delta.ncsa.illinois.edu"]
    assert keys["nid001"] != keys[DELTA_LOGIN]


@pytest.mark.parametrize("pattern", ["", "*", "*.", "login node", "login.$HOST", "Ä.example"])
def test_a_host_pattern_that_is_no_name_is_refused(pattern: str) -> None:
    row = (f'[x]\nname = "X"\nsource = ["https://example.org/"]\nchecked = "2026-12-07"\n'
           f'recognise = {{ hosts = ["{pattern}"] }}\n')
    with pytest.raises(ConfigError, match=r"centres.toml \[x\]"):
        centres.parse(row)


@pytest.mark.parametrize(("pattern", "name", "fits"), [
    ("*.delta.ncsa.illinois.edu", "login.delta.ncsa.illinois.edu", True),
    ("*.delta.ncsa.illinois.edu", "delta.ncsa.illinois.edu", False),
    ("*.delta.ncsa.illinois.edu", "x.delta.ncsa.illinois.edu.evil.org", False),
    ("*.delta.ncsa.illinois.edu", "DT-LOGIN01.Delta.NCSA.Illinois.edu", True),
    ("puhti-login*", "puhti-login", True),
    ("a*b*c", "abxbc", True),
    ("a*b*c", "acb", False),
])
def test_host_patterns(pattern: str, name: str, fits: bool) -> None:
    assert hosts.matches(pattern, name) is fits


def test_the_login_reads_the_same_host_patterns_as_the_table():
    """The login keys its file on the patterns it finds by splitting centres.toml's text;
    a table written another way must not hide a pattern from it."""
    text = (resources.files("scratchenv.config") / "centres.toml").read_text(encoding="utf-8")
    parsed = [p for centre in centres.table().values() for p in centre.recognise.hosts]
    assert parsed and hosts.documented_patterns(text) == parsed
