"""One source order (config/layers.py) for the settings, `env`'s FROM column and the error
messages; --config is passed down, never written into the environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scratchenv.config import trust
from scratchenv.config.settings import load_settings
from scratchenv.errors import ConfigError
from scratchenv.main import main

# Highest first, as layers.py ranks them: (name, how `env` labels it, how an error names it).
SOURCES = ["environment", "dotenv", "config", "site config"]


@pytest.fixture
def place(tmp_path: Path, isolated: Path, root: Path, monkeypatch: pytest.MonkeyPatch):
    """Setting `missing_root` in one named source: a function of (source, value)."""
    config = isolated / ".config" / "scratchenv" / "config.toml"
    site = tmp_path / "etc" / "config.toml"
    site.parent.mkdir()
    site.write_text("")
    monkeypatch.setenv("SCRATCHENV_SITE_CONFIG", str(site))
    monkeypatch.delenv("SCRATCHENV_CONFIG", raising=False)
    labels = {"environment": ("environment (SCRATCHENV_*)",
                              "the environment: SCRATCHENV_MISSING_ROOT"),
              "dotenv": (".env.local", ".env.local: SCRATCHENV_MISSING_ROOT"),
              "config": (f"config {config}", f"config: {config}"),
              "site config": (f"site config {site}", f"site config: {site}")}

    def put(source: str, value: str) -> None:
        if source == "environment":
            monkeypatch.setenv("SCRATCHENV_MISSING_ROOT", value)
        elif source == "dotenv":
            Path(".env.local").write_text(f"SCRATCHENV_MISSING_ROOT={value}\n")
            trust.allow(".env.local", os.environ)
        else:
            path = config if source == "config" else site
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f'missing_root = "{value}"\n')

    return put, labels


def env_table_source(capsys: pytest.CaptureFixture[str], key: str) -> str:
    assert main(["env"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines()
                if line.split()[:1] == [key])
    return line.split(None, 2)[2]


@pytest.mark.parametrize("rank", range(len(SOURCES)), ids=SOURCES)
def test_each_source_outranks_those_below_in_settings_table_and_errors(rank, place, capsys):
    put, labels = place
    source = SOURCES[rank]
    put(source, "silent")
    for lower in SOURCES[rank + 1:]:
        put(lower, "loud")  # invalid, and never read: a higher source sets the key
    assert load_settings().missing_root == "silent"
    assert env_table_source(capsys, "missing_root") == labels[source][0]

    put(source, "loud")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == ("invalid setting missing_root: must be 'warn' or 'silent', "
                                 f"not 'loud' (in {labels[source][1]})")


def test_the_config_flag_is_passed_down_not_written_into_the_environment(
        place, tmp_path, monkeypatch, capsys):
    put, labels = place
    flagged = tmp_path / "flagged.toml"
    flagged.write_text('project = "fromflag"\n')
    monkeypatch.delenv("SCRATCHENV_CONFIG", raising=False)
    assert main(["--config", str(flagged), "env"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines()
               if line.startswith("project "))
    assert row.split()[1:] == ["fromflag", "config", str(flagged)]
    assert "SCRATCHENV_CONFIG" not in os.environ  # a later reader or a child never sees it

    flagged.write_text('missing_root = "loud"\n')
    assert main(["--config", str(flagged), "env"]) == 2
    assert capsys.readouterr().err.endswith(f"(in config: {flagged})\n")
    assert "SCRATCHENV_CONFIG" not in os.environ
