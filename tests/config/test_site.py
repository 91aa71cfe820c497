"""The site config: below the user's config, above profiles; refused when others can edit
it; and `scratchenv env` says where each value came from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import need_root
from helpers.cli import cli

from scratchenv.config.settings import load_settings
from scratchenv.errors import ConfigError


def write_config(home: Path, text: str) -> Path:
    path = home / ".config" / "scratchenv" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def site_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "etc" / "config.toml"
    path.parent.mkdir()
    path.write_text("")
    path.chmod(0o644)
    monkeypatch.setenv("SCRATCHENV_SITE_CONFIG", str(path))
    return path


def test_the_site_sets_root_pattern_purge_thresholds_and_disabled(site_config, tmp_path,
                                                                    monkeypatch):
    (tmp_path / "lustre" / "alice").mkdir(parents=True)
    monkeypatch.setenv("USER", "alice")
    site_config.write_text(
        f'root_pattern = "{tmp_path}/lustre/{{user}}"\ndisable = ["wandb"]\n'
        '[purge]\ndays = 30\n[thresholds]\nhome_warn = "5G"\n'
    )
    settings = load_settings()
    assert settings.root == tmp_path / "lustre" / "alice"
    assert settings.purge.days == 30
    assert settings.thresholds.home_warn == 5 * 1024**3
    assert settings.catalogue().get("WANDB_DIR") is None


def test_the_user_config_ranks_above_the_site(site_config, tmp_path, isolated, root):
    site_config.write_text('[thresholds]\nhome_warn = "5G"\nmin_free = "1G"\n'
                           '[purge]\ndays = 30\n')
    write_config(isolated, '[thresholds]\nhome_warn = "20G"\n')
    settings = load_settings()
    assert settings.thresholds.home_warn == 20 * 1024**3
    assert settings.thresholds.min_free == 1024**3  # tables merge key by key
    assert settings.purge.days == 30


def test_a_site_profile_fills_what_nothing_else_sets(site_config, tmp_path, monkeypatch):
    site_config.write_text('profile = "ptolemy"\n')
    (tmp_path / "scratch").mkdir()
    monkeypatch.setenv("SCRATCHENV_ROOT", str(tmp_path / "scratch"))
    settings = load_settings()
    assert settings.cluster == "ptolemy"
    assert settings.root_pattern == "/scratch/ptolemy/users/{user}"
    assert settings.root == tmp_path / "scratch"  # the user's root wins over the profile's pattern


@pytest.mark.parametrize("mode", [0o664, 0o646])
def test_a_site_config_others_can_write_is_refused(site_config, root, mode):
    site_config.chmod(mode)
    done = cli("env")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "site config" in done.stderr and "chmod go-w" in done.stderr


def test_a_site_config_owned_by_another_user_is_refused(site_config, root):
    need_root("to give a file to another uid")
    os.chown(site_config, 12345, 12345)
    with pytest.raises(ConfigError, match="belongs to uid 12345, neither you nor root"):
        load_settings()


def test_a_named_site_config_that_is_missing_is_an_error(site_config, root):
    site_config.unlink()
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings()


def test_a_broken_site_config_is_named(site_config, root):
    site_config.write_text("root_pattern = \n")
    with pytest.raises(ConfigError, match=f"^{site_config}: not valid TOML"):
        load_settings()


def test_an_unknown_key_is_traced_to_the_site_config(site_config, root):
    site_config.write_text('purge_days = 3\n')
    with pytest.raises(ConfigError, match=f"site config: {site_config}"):
        load_settings()


@pytest.mark.parametrize("pattern", ["/scratch/$USER", "scratch/{user}", "/s/{user}/{x}"])
def test_a_bad_root_pattern_is_one_clear_error(site_config, pattern):
    site_config.write_text(f'root_pattern = "{pattern}"\n')
    with pytest.raises(ConfigError, match="invalid setting root_pattern"):
        load_settings()


def test_env_shows_where_each_value_came_from(site_config, tmp_path, isolated, root):
    site_config.write_text('[purge]\ndays = 30\n[thresholds]\nhome_warn = "5G"\n')
    write_config(isolated, 'disable = ["wandb"]\n')
    done = cli("--project", "nanochat", "env")
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}
    assert rows["purge.days"].split()[1:] == ["30", "site", "config", str(site_config)]
    assert rows["thresholds.home_warn"].split()[1] == "5.0G"
    assert rows["thresholds.home_warn"].endswith(f"site config {site_config}")
    assert rows["disable"].endswith(f"config {isolated}/.config/scratchenv/config.toml")
    assert rows["root"].endswith("environment (SCRATCHENV_*)")
    assert rows["project"].endswith("command line")
    assert rows["thresholds.min_free"].endswith("default")


def test_env_shows_a_detected_root_and_its_rule(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch-fs"
    scratch.mkdir()
    monkeypatch.setenv("SCRATCH", str(scratch))
    done = cli("env")
    root_row = next(line for line in done.stdout.splitlines() if line.startswith("root "))
    assert root_row.split()[1:] == [str(scratch), "detected:", "$SCRATCH"]


def test_enabling_an_opt_in_entry_shows_its_caveat(root, isolated):
    write_config(isolated, 'enable = ["jax"]\n')
    done = cli("env")
    assert done.returncode == 0, done.stderr
    assert f"JAX_COMPILATION_CACHE_DIR    {root}/cache/jax" in done.stdout
    assert "enabled jax (JAX_COMPILATION_CACHE_DIR): setting it turns the persistent" in done.stdout
    assert "IPYTHONDIR" not in done.stdout


def test_enabling_an_unknown_name_is_one_clear_error(root, isolated):
    write_config(isolated, 'enable = ["jaxx"]\n')
    done = cli("env")
    assert done.returncode == 2
    assert "enable: unknown tool or variable jaxx" in done.stderr


def test_activation_is_regenerated_when_the_site_config_changes(site_config, root):
    first = cli("activate", "--shell", "bash")
    assert first.returncode == 0, first.stderr
    assert "WANDB_DIR" in Path(first.stdout.strip()).read_text()
    site_config.write_text('disable = ["wandb"]\n')
    second = cli("activate", "--shell", "bash")
    assert second.stdout != first.stdout
    assert "WANDB_DIR" not in Path(second.stdout.strip()).read_text()
