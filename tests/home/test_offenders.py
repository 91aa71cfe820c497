"""offenders.toml against the catalogue: its advice cannot tell users to add a variable the
catalogue already sets (the stale CONDA_ENVS_PATH / TRITON_CACHE_DIR / CUDA_CACHE_PATH
advice), and advice made from the catalogue follows the user's settings."""

from __future__ import annotations

import re
import tomllib
from importlib import resources

import pytest
from helpers.fs import isolate

from scratchenv.config.catalogue import load_default
from scratchenv.config.settings import load_settings
from scratchenv.home import moves
from scratchenv.plan import build_plan

TABLE = tomllib.loads(
    resources.files("scratchenv.home").joinpath("offenders.toml").read_text(encoding="utf-8"))
VARIABLES = {entry.var for entry in load_default().entries}
# Variables the catalogue leaves out on purpose, and why advice must never suggest them.
NEVER = {"CONDA_ENVS_PATH": "beside CONDA_ENVS_DIRS it makes conda fail ('Multiple aliased keys')"}


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    isolate(monkeypatch, home, tmp_path / "scratch")
    return home


def advice_of(key: str, config: str = "", tmp_path=None, monkeypatch=None) -> str:
    if config:
        path = tmp_path / "config.toml"
        path.write_text(config)
        monkeypatch.setenv("SCRATCHENV_CONFIG", str(path))
    found = {o.key: o.advice for o in moves.offenders(build_plan(load_settings()))}
    return found[key]


@pytest.mark.parametrize("key", sorted(TABLE))
def test_every_offender_has_advice_made_from_the_catalogue_or_its_own(key):
    fields = TABLE[key]
    assert fields["path"].startswith("~/") and fields["what"]
    assert ("var" in fields) != ("advice" in fields), "one of var or advice"
    if "var" in fields:
        assert fields["var"] in VARIABLES
    else:
        named = set(re.findall(r"\b[A-Za-z_][A-Za-z0-9_]*[A-Z_][A-Za-z0-9_]*\b", fields["advice"]))
        assert named & VARIABLES == set(), "the catalogue sets it already: use var"
        assert named & set(NEVER) == set(), NEVER
    if "source" in fields:
        assert fields["source"].startswith("https://")


def test_conda_switched_off_says_to_switch_it_on_not_to_add_variables(home, tmp_path,
                                                                       monkeypatch):
    advice = advice_of("conda", 'disable = ["conda"]\n', tmp_path, monkeypatch)
    assert advice.startswith("CONDA_PKGS_DIRS is switched off: take conda out of `disable`")
    assert "scratchenv migrate conda" in advice
    assert "CONDA_ENVS_PATH" not in advice


def test_an_opt_in_entry_is_offered_with_its_caveat(home):
    advice = advice_of("micromamba")
    assert advice.startswith('turn on MAMBA_ROOT_PREFIX with enable = ["micromamba"]')
    assert load_default().get("MAMBA_ROOT_PREFIX").caveat in advice


def test_once_set_the_advice_says_where_and_what_to_do_with_the_rest(home, tmp_path):
    advice = advice_of("flashinfer")
    assert advice == (f"FLASHINFER_WORKSPACE_BASE is set (to {tmp_path}/scratch/cache/flashinfer)"
                      ": what is here is a cache FlashInfer rebuilds: delete it")


def test_root_is_filled_into_free_advice(home, tmp_path):
    assert f"store-dir {tmp_path}/scratch/cache/pnpm-store" in advice_of("pnpm")


def test_an_enabled_entry_takes_its_offender_over(home, tmp_path, monkeypatch):
    assert "pyenv" in {o.key for o in moves.offenders(build_plan(load_settings()))}
    path = tmp_path / "config.toml"
    path.write_text('enable = ["pyenv"]\n')
    monkeypatch.setenv("SCRATCHENV_CONFIG", str(path))
    plan = build_plan(load_settings())
    assert "pyenv" not in {o.key for o in moves.offenders(plan)}
    assert f"{home}/.pyenv" in [m.source for m in moves.home_moves(plan)]
