from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import need_root

from scratchenv.config import trust
from scratchenv.config.settings import load_settings, profile_defaults
from scratchenv.errors import ConfigError, ScratchenvError


def write_config(home: Path, text: str) -> Path:
    path = home / ".config" / "scratchenv" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def write_dotenv(text: str | bytes) -> Path:
    """A .env.local here, allowed as the user would (`scratchenv allow`)."""
    path = Path(".env.local")
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    trust.allow(str(path), os.environ)
    return path.absolute()


def test_sources_rank_flags_env_dotenv_config(tmp_path, isolated, monkeypatch):
    roots = {name: tmp_path / name for name in ("flag", "env", "dotenv", "config")}
    for path in roots.values():
        path.mkdir()
    write_config(isolated, f'root = "{roots["config"]}"\nproject = "fromconfig"\n')
    assert load_settings().root == roots["config"]
    assert load_settings().project == "fromconfig"

    write_dotenv(f"SCRATCHENV_ROOT={roots['dotenv']}\nWANDB_API_KEY=x\n")
    assert load_settings().root == roots["dotenv"]

    monkeypatch.setenv("SCRATCHENV_ROOT", str(roots["env"]))
    assert load_settings().root == roots["env"]
    assert load_settings(root=str(roots["flag"])).root == roots["flag"]
    assert load_settings(root=str(roots["flag"])).project == "fromconfig"


def test_unknown_key_in_dotenv_names_that_file_not_the_config(root):
    write_dotenv("SCRATCHENV_PROJEKT=nanochat\n")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).endswith("(check the spelling in .env.local: SCRATCHENV_PROJEKT)")


def test_unknown_nested_variable_in_the_environment_is_named(root, monkeypatch):
    monkeypatch.setenv("SCRATCHENV_THRESHOLDS__HOME_WRN", "20G")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        "invalid setting thresholds.home_wrn: unknown setting (check the spelling in the "
        "environment: SCRATCHENV_THRESHOLDS__HOME_WRN)")


def test_a_config_that_is_a_directory_is_refused(root, isolated):
    write_config(isolated, "").unlink()
    (isolated / ".config" / "scratchenv" / "config.toml").mkdir()
    with pytest.raises(ConfigError, match="config .*config.toml is a directory"):
        load_settings()


def test_an_empty_root_says_it_is_empty(monkeypatch):
    monkeypatch.setenv("SCRATCHENV_ROOT", "")  # SCRATCHENV_ROOT=$SCRATCH, SCRATCH unset
    with pytest.raises(ConfigError, match="invalid setting root: empty; set it to an absolute"):
        load_settings()


@pytest.mark.parametrize("where", ["config", "dotenv"])
def test_a_settings_file_that_is_not_utf8_is_named(root, isolated, where):
    if where == "config":
        path = write_config(isolated, "")
        path.write_bytes(b'project = "caf\xe9"\n')  # latin-1
    else:
        path = write_dotenv(b"OTHER_TOOL=caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == f"cannot read settings: {path} is not UTF-8 text (byte 0xe9 " \
                                f"at offset {path.read_bytes().index(0xe9)})"


def test_nested_thresholds_from_env_and_config(root, isolated, monkeypatch):
    write_config(isolated, '[thresholds]\nhome_warn = "20G"\n')
    settings = load_settings()
    assert settings.thresholds.home_warn == 20 * 1024**3
    assert settings.thresholds.min_free == 10 * 1024**3
    monkeypatch.setenv("SCRATCHENV_THRESHOLDS__HOME_WARN", "512M")
    assert load_settings().thresholds.home_warn == 512 * 1024**2


def test_relative_root_is_refused(monkeypatch):
    monkeypatch.setenv("SCRATCHENV_ROOT", "relative/path")
    with pytest.raises(ConfigError, match="relative; the scratch root must be an absolute path"):
        load_settings()


def test_root_below_a_file_names_the_file(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("SCRATCHENV_ROOT", str(tmp_path / "file" / "scratch" / "me"))
    with pytest.raises(ScratchenvError, match=f"{tmp_path}/file is not a directory"):
        load_settings()


def test_profile_fills_only_what_nothing_else_sets(tmp_path, monkeypatch):
    monkeypatch.setenv("USER", "alice")
    monkeypatch.setenv("SCRATCHENV_PROFILE", "ptolemy")
    assert profile_defaults("ptolemy")["root_pattern"] == "/scratch/ptolemy/users/{user}"
    (tmp_path / "scratch").mkdir()
    monkeypatch.setenv("SCRATCHENV_ROOT", str(tmp_path / "scratch"))
    settings = load_settings()
    assert settings.root == tmp_path / "scratch"
    assert settings.cluster == "ptolemy"


def test_project_gives_venv_and_data_variable(root):
    layout = load_settings(project="nanochat").project_layout
    assert layout is not None
    assert (layout.venv_var, layout.venv_dir) == ("VENV_PATH", "nanochat-venv")
    assert (layout.data_var, layout.data_dir) == ("NANOCHAT_BASE_DIR", "nanochat-cache")
    own = load_settings(project="my-exp", project_var="EXP_DATA").project_layout
    assert own is not None and own.data_var == "EXP_DATA"
    assert load_settings(project="my-exp").project_layout.data_var == "MY_EXP_BASE_DIR"


def test_project_whose_data_variable_is_not_a_name_is_one_clear_error(root):
    with pytest.raises(ConfigError, match="2048_BASE_DIR.*set project_var") as caught:
        load_settings(project="2048")
    assert "\n" not in str(caught.value)
    assert load_settings(project="2048", project_var="GAME_DATA").project_layout.data_var == (
        "GAME_DATA"
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("root = [unclosed", "not valid TOML"),
        ("roots = '/x'", "unknown setting"),
        ("[vars.1BAD]\npath = 'x'", "not a valid environment variable name"),
        ("[vars.PATH]\npath = 'x'", "must not re-point it"),
        ("disable = ['no-such-tool']", "unknown tool or variable"),
        ("[thresholds]\nhome_warn = 'lots'", "thresholds.home_warn: not a size"),
        ("[thresholds]\nmin_free = 1.5", "thresholds.min_free: not a size: 1.5"),
        ("[thresholds]\nmin_free = -1", "thresholds.min_free: size must not be negative"),
        ("profile = 'atlantis'", "unknown profile"),
        ("[vars.MY_CACHE]\npaht = 'x'", "paht"),
    ],
)
def test_bad_config_is_one_clear_error(root, isolated, config, message):
    write_config(isolated, config)
    with pytest.raises(ConfigError, match=message) as caught:
        settings = load_settings()
        settings.catalogue()
    assert "\n" not in str(caught.value)


def test_root_owned_by_someone_else_is_refused(tmp_path, monkeypatch):
    need_root("to give a directory to another user")
    other = tmp_path / "theirs"
    other.mkdir()
    os.chown(other, 65534, 65534)
    monkeypatch.setenv("SCRATCHENV_ROOT", str(other))
    with pytest.raises(ScratchenvError, match="owned by uid 65534"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [("SCRATCHENV_DISABLE", "wandb"), ("SCRATCHENV_VARS", "{not json"),
     ("SCRATCHENV_THRESHOLDS", "home_warn=1G")],
)
def test_a_variable_that_is_not_json_is_one_clear_error(root, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="are JSON") as caught:
        load_settings()
    assert "\n" not in str(caught.value)
