"""Two roots: persistent_root and tiers in the settings, the profiles that set them, the
detection additions (/scratch/gpfs/$USER, $SCRATCH/<scratch_subdir>), group-owned roots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import need_root
from helpers.cli import cli
from helpers.roots import Roots

from scratchenv.config import centres, detect
from scratchenv.config.settings import load_settings
from scratchenv.errors import ConfigError
from scratchenv.plan import build_plan


def test_without_a_persistent_root_everything_stays_on_scratch(root: Path) -> None:
    settings = load_settings(project="nanochat")
    plan = build_plan(settings)
    assert plan.persistent_root is None and plan.roots == [str(root)]
    for group in ("cache", "env", "venv", "toolchain", "data", "checkpoints"):
        assert settings.root_for(group) == root
    assert plan.get("VENV_PATH").value == f"{root}/nanochat-venv"
    assert plan.get("CARGO_HOME").value == f"{root}/.cargo"


def test_default_tiers_put_envs_toolchains_on_the_persistent_root(two_roots: Roots) -> None:
    root, work = two_roots.scratch, two_roots.work
    plan = build_plan(load_settings(project="nanochat"))
    assert plan.roots == [str(root), str(work)]
    where = {change.name: (change.value, change.root) for change in plan.variables}
    assert where["VENV_PATH"] == (f"{work}/nanochat-venv", str(work))
    assert where["CARGO_HOME"] == (f"{work}/.cargo", str(work))
    assert where["RUSTUP_HOME"] == (f"{work}/.rustup", str(work))
    assert where["HF_HOME"] == (f"{root}/cache/huggingface", str(root))
    assert where["UV_CACHE_DIR"] == (f"{root}/cache/uv", str(root))
    assert where["NANOCHAT_BASE_DIR"] == (f"{root}/nanochat-cache", str(root))
    assert where["HF_TOKEN_PATH"][1] == os.environ["HOME"]  # pinned in home, as before
    # Cargo's bin on PATH follows CARGO_HOME to its root.
    assert f"{work}/.cargo/bin" in [p.entry for p in plan.path_entries]


def test_tiers_choose_per_group(two_roots: Roots, monkeypatch: pytest.MonkeyPatch) -> None:
    root, work = two_roots.scratch, two_roots.work
    monkeypatch.setenv("SCRATCHENV_TIERS", '{"data": "persistent", "toolchain": "scratch"}')
    settings = load_settings(project="nanochat", activate_venv=True)
    plan = build_plan(settings)
    assert plan.get("NANOCHAT_BASE_DIR").value == f"{work}/nanochat-cache"
    assert plan.get("CARGO_HOME").value == f"{root}/.cargo"
    assert plan.get("VENV_PATH").value == f"{work}/nanochat-venv"  # the default still holds
    assert plan.get("VIRTUAL_ENV").value == f"{work}/nanochat-venv"


def test_tiers_from_the_config_file(two_roots: Roots, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root, work = two_roots.scratch, two_roots.work
    config = tmp_path / "config.toml"
    config.write_text('project = "nanochat"\n[tiers]\nenv = "scratch"\ncache = "persistent"\n')
    monkeypatch.setenv("SCRATCHENV_CONFIG", str(config))
    plan = build_plan(load_settings())
    assert plan.get("VENV_PATH").value == f"{root}/nanochat-venv"
    assert plan.get("PIP_CACHE_DIR").value == f"{work}/cache/pip"


@pytest.mark.parametrize(("tiers", "message"), [
    ('{"caches": "persistent"}', "unknown group caches"),
    ('{"cache": "work"}', "tiers.cache"),
])
def test_bad_tiers_are_one_line_and_exit_2(two_roots: Roots, tiers: str,
                                           message: str) -> None:
    result = cli("env", env={**os.environ, "SCRATCHENV_TIERS": tiers})
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_persistent_tier_without_a_persistent_root_is_a_config_error(root: Path) -> None:
    result = cli("env", env={**os.environ, "SCRATCHENV_TIERS": '{"env": "persistent"}'})
    assert result.returncode == 2
    assert "persistent_root is not set" in result.stderr


@pytest.mark.parametrize("value", ["relative/work", ""])
def test_a_bad_persistent_root_is_refused(root: Path, value: str) -> None:
    result = cli("env", env={**os.environ, "SCRATCHENV_PERSISTENT_ROOT": value})
    assert result.returncode == 2 and "persistent_root" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_persistent_root_that_is_a_file_is_refused(root: Path, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    with pytest.raises(ConfigError, match="persistent root unusable: .* not a directory"):
        load_settings(persistent_root=str(tmp_path / "afile"))


@pytest.mark.parametrize("spelling", ["{root}", "{root}/", "{root}/../scratch", "{root}/."])
def test_the_scratch_root_as_persistent_root_is_refused(root: Path, spelling: str) -> None:
    """Kept files on the purged root: refused like a persistent root inside it (issue 22)."""
    assert root.name == "scratch"
    with pytest.raises(ConfigError, match="persistent root unusable: .* is the scratch root"):
        load_settings(persistent_root=spelling.format(root=root), project="nanochat")


@pytest.mark.parametrize("inner", ["scratch/keep", "outer"])
def test_nested_roots_are_refused(root: Path, tmp_path: Path, inner: str) -> None:
    """A persistent root inside scratch is purged with it; scratch inside it is double counted."""
    if inner == "outer":
        (tmp_path / "outer").mkdir()
        args = {"root": str(tmp_path / "outer" / "scratch"),
                "persistent_root": str(tmp_path / "outer")}
    else:
        args = {"persistent_root": str(root / "keep")}
    with pytest.raises(ConfigError, match="persistent root unusable: .*inside"):
        load_settings(**args)


# --- profiles -------------------------------------------------------------------------------


def test_the_tacc_profile_reads_scratch_and_work_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch, work = tmp_path / "scratch1", tmp_path / "work2"
    scratch.mkdir()
    work.mkdir()
    monkeypatch.setenv("SCRATCH", str(scratch))
    monkeypatch.setenv("WORK", str(work))
    settings = load_settings(profile="tacc", project="nanochat")
    assert settings.scratch_root == scratch and settings.persistent_root == work
    assert settings.purge.days == 10
    plan = build_plan(settings)
    assert plan.get("VENV_PATH").value == f"{work}/nanochat-venv"
    assert plan.get("HF_HOME").value == f"{scratch}/cache/huggingface"


def test_a_profile_needing_an_unset_variable_names_it(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch1"
    scratch.mkdir()
    env = {**os.environ, "SCRATCH": str(scratch), "SCRATCHENV_PROFILE": "tacc"}
    env.pop("WORK", None)
    result = cli("env", env=env)
    assert result.returncode == 2
    assert "profile 'tacc': persistent_root" in result.stderr and "$WORK" in result.stderr


def test_the_settings_beat_the_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("scratch1", "work2", "mine"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("SCRATCH", str(tmp_path / "scratch1"))
    monkeypatch.setenv("WORK", str(tmp_path / "work2"))
    settings = load_settings(profile="tacc", persistent_root=str(tmp_path / "mine"))
    assert settings.persistent_root == tmp_path / "mine"


# --- detection ------------------------------------------------------------------------------


def test_princeton_gpfs_scratch_is_a_candidate_when_it_is_yours() -> None:
    gpfs = Path(centres.SEARCH_ROOT) / "scratch" / "gpfs" / "alice"  # the sandbox (conftest)
    assert str(gpfs) not in [place for place, _ in detect.candidates({}, "alice", None)]
    gpfs.mkdir(parents=True)
    places = dict(detect.candidates({}, "alice", None))
    assert places[str(gpfs)] == "/scratch/gpfs/$USER (Princeton Research Computing)"


def test_scratch_subdir_makes_scratch_the_top(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    top = tmp_path / "netscratch"
    (top / "mylab").mkdir(parents=True)
    monkeypatch.setenv("SCRATCH", str(top))
    monkeypatch.setenv("USER", "alice")
    monkeypatch.setenv("SCRATCHENV_SCRATCH_SUBDIR", "mylab/{user}")
    settings = load_settings()
    assert settings.scratch_root == top / "mylab" / "alice"
    # Without it, $SCRATCH itself is the root, as before.
    monkeypatch.delenv("SCRATCHENV_SCRATCH_SUBDIR")
    assert load_settings().scratch_root == top


@pytest.mark.parametrize("value", ["/abs/{user}", "lab/../x", "lab/{lab}"])
def test_a_bad_scratch_subdir_is_refused(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRATCHENV_SCRATCH_SUBDIR", value)
    with pytest.raises(ConfigError, match="scratch_subdir"):
        load_settings(root="/tmp")


# --- a group-owned project directory as a root ---------------------------------------------


def _group_dir(path: Path, mode: int) -> Path:
    """A directory another user owns, shared with our group (needs root to chown)."""
    need_root("to make a directory another user owns")
    path.mkdir()
    os.chown(path, 54321, os.getgid())
    os.chmod(path, mode)
    return path


def test_a_group_owned_project_directory_is_accepted_when_set(root: Path, tmp_path: Path) -> None:
    project = _group_dir(tmp_path / "project", 0o2770)
    settings = load_settings(persistent_root=str(project))
    assert settings.persistent_root == project
    assert load_settings(root=str(project)).scratch_root == project


def test_a_world_writable_group_directory_is_refused(root: Path, tmp_path: Path) -> None:
    project = _group_dir(tmp_path / "project", 0o2777)
    with pytest.raises(ConfigError, match="persistent root unusable: .* owned by uid 54321"):
        load_settings(persistent_root=str(project))


def test_a_group_directory_is_never_guessed(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    project = _group_dir(tmp_path / "project", 0o2770)
    monkeypatch.setenv("SCRATCH", str(project))
    with pytest.raises(ConfigError, match="no scratch root found"):
        detect.detect_root(os.environ, "alice", None)


def test_the_catalogue_command_shows_each_entrys_group_and_root(two_roots: Roots) -> None:
    result = cli("catalogue")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}
    assert rows["CARGO_HOME"][2:4] == ["toolchain", "{persistent_root}/.cargo"]
    assert rows["PIP_CACHE_DIR"][2:4] == ["cache", "{root}/cache/pip"]


def test_the_plan_carries_each_decision_downstream_needs(two_roots: Roots,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Tier and root per location, the checkpoints' place, the purge policy and the
    thresholds are read from the Plan: nothing below the commands asks the settings."""
    root, work = two_roots.scratch, two_roots.work
    monkeypatch.setenv("SCRATCHENV_PURGE__DAYS", "30")
    monkeypatch.setenv("SCRATCHENV_THRESHOLDS__MIN_FREE", "5G")
    monkeypatch.setenv("SCRATCHENV_CHECKPOINTS__LAYOUT", "runs/ckpt_{id}")
    plan = build_plan(load_settings(project="nanochat"))
    cargo, hf = plan.get("CARGO_HOME"), plan.get("HF_HOME")
    assert (cargo.tier, cargo.root) == ("persistent", str(work))
    assert (hf.tier, hf.root) == ("scratch", str(root))
    assert plan.get("HF_TOKEN_PATH").tier is None  # pinned in home
    place = plan.checkpoint_place
    assert (place.tier, place.root, place.other_root) == ("persistent", str(work), str(root))
    assert place.directory == f"{work}/runs"
    assert place.bases == [str(work), str(root)]
    assert plan.purged() and plan.purged(str(root)) and not plan.purged(str(work))
    assert not plan.keeps_times() and plan.keeps_times(str(work))
    assert plan.purge.days == 30 and plan.thresholds.min_free == 5 * 1024**3
    assert plan.project_layout is not None and plan.project_layout.venv_var == "VENV_PATH"
    assert plan.root_name(str(work)) == "persistent root"
    assert plan.root_name(str(root)) == "scratch root"


def test_without_a_purge_policy_every_root_keeps_times(root: Path) -> None:
    plan = build_plan(load_settings())
    assert not plan.purged() and plan.keeps_times() and plan.keeps_times(str(root))
    assert plan.checkpoint_place.bases == [str(root)]
