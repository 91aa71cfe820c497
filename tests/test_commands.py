"""verify and checklist as users run them: exit codes and formats."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from helpers.cli import cli
from helpers.place import Place


def test_exit_codes(place: Place) -> None:
    environ = place.activated()
    passing = cli("verify", env=environ)
    assert passing.returncode == 0, passing.stdout
    assert passing.stdout.splitlines()[-1].startswith("scratchenv verify: ok")
    del environ["HF_HOME"]
    failing = cli("verify", env=environ)
    assert failing.returncode == 1
    assert "✗ HF_HOME: not set" in failing.stdout
    assert f"    fix: export HF_HOME={place.root}/cache/huggingface" in failing.stdout
    assert cli("verify", "--need", "many", env=environ).returncode == 2
    missing = cli("verify", "--script", str(place.base / "none.slurm"), env=environ)
    assert missing.returncode == 2
    assert missing.stderr.startswith("scratchenv: error: cannot read")
    bad_config = cli("verify", env={**environ, "SCRATCHENV_THRESHOLDS__HOME_WARN": "x"})
    assert bad_config.returncode == 2
    assert len(bad_config.stderr.splitlines()) == 1


def test_formats(place: Place) -> None:
    environ = place.activated()
    document = json.loads(cli("verify", "--json", env=environ).stdout)
    assert document["ok"] is True and document["schema_version"] == 1
    markdown = cli("verify", "--format", "markdown", env=environ).stdout
    assert markdown.startswith("### scratchenv verify: ✅ passed")
    assert "- [x] `HF_HOME` set to" in markdown
    junit = ET.fromstring(cli("verify", "--format", "junit", env=environ).stdout)
    assert junit.find("testsuite").get("failures") == "0"  # type: ignore[union-attr]


def test_checklist(place: Place) -> None:
    environ = place.activated()
    result = cli("checklist", "-v", env=environ)
    assert result.returncode == 0, result.stdout
    for name in ("NANOCHAT_BASE_DIR", "VENV_PATH", "CARGO_HOME", "RUSTUP_HOME", "UV_CACHE_DIR",
                 "PIP_CACHE_DIR"):
        assert f"✓ {name}: set to " in result.stdout
    assert "HF_HOME" not in result.stdout
    environ["NANOCHAT_BASE_DIR"] = f"{place.home}/.cache/nanochat"
    failing = cli("checklist", "--need", "1G", env=environ)
    assert failing.returncode == 1
    assert "✗ NANOCHAT_BASE_DIR" in failing.stdout
