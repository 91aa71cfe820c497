"""Which places in home belong to which entry (the ownership rule of moves.py)."""

from __future__ import annotations

import pytest
from helpers.fs import isolate

from scratchenv.config.settings import load_settings
from scratchenv.errors import ConfigError
from scratchenv.home import moves
from scratchenv.plan import build_plan


def test_ownership_rule_as_data(tmp_path, monkeypatch):
    home, root = tmp_path / "home", tmp_path / "scratch"
    isolate(monkeypatch, home, root)
    plan = build_plan(load_settings())
    by_var = {m.var: m for m in moves.home_moves(plan)}
    xdg_keeps = [k.path for k in by_var["XDG_CACHE_HOME"].keeps]
    cache = f"{home}/.cache"
    assert f"{cache}/huggingface" in xdg_keeps and f"{cache}/pip" in xdg_keeps
    assert f"{cache}/nanochat" in xdg_keeps
    assert f"{cache}/huggingface/token" not in xdg_keeps  # inside a kept directory already
    assert [k.path for k in by_var["HF_HOME"].keeps] == [f"{cache}/huggingface/stored_tokens",
                                                         f"{cache}/huggingface/token",
                                                         f"{cache}/huggingface/transformers"]
    assert "HF_TOKEN_PATH" not in by_var  # pinned: never a move

    # A tool switched off has no entry: its directory goes along with XDG_CACHE_HOME,
    # to $XDG_CACHE_HOME/huggingface, where that tool then looks.
    monkeypatch.setenv("SCRATCHENV_DISABLE", '["huggingface"]')
    plan = build_plan(load_settings())
    xdg = next(m for m in moves.home_moves(plan) if m.var == "XDG_CACHE_HOME")
    assert f"{cache}/huggingface" not in [k.path for k in xdg.keeps]
    assert f"{cache}/huggingface/transformers" in [k.path for k in xdg.keeps]  # checkpoints

    # With the project set, ~/.cache/nanochat is the project's data: its own move.
    monkeypatch.delenv("SCRATCHENV_DISABLE")
    monkeypatch.setenv("SCRATCHENV_PROJECT", "nanochat")
    plan = build_plan(load_settings())
    project = next(m for m in moves.home_moves(plan) if m.var == "NANOCHAT_BASE_DIR")
    assert (project.source, project.dest) == (f"{cache}/nanochat", f"{root}/nanochat-cache")


def test_two_entries_with_one_default_the_first_owns_it(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path / "home", tmp_path / "scratch")
    config = tmp_path / "config.toml"
    config.write_text('[vars.MY_PIP_CACHE]\npath = "mine/pip"\ndefault = "{xdg_cache}/pip"\n')
    monkeypatch.setenv("SCRATCHENV_CONFIG", str(config))
    found = [m for m in moves.home_moves(build_plan(load_settings()))
             if m.source.endswith("/.cache/pip")]
    assert [m.var for m in found] == ["PIP_CACHE_DIR"]


def test_a_root_linked_from_home_is_never_moved_with_anything(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".cache").mkdir(parents=True)
    (tmp_path / "real-scratch").mkdir()
    (home / ".cache" / "scratch").symlink_to(tmp_path / "real-scratch")
    isolate(monkeypatch, home, home / ".cache" / "scratch")
    xdg = next(m for m in moves.home_moves(build_plan(load_settings()))
               if m.var == "XDG_CACHE_HOME")
    assert f"{home}/.cache/scratch" in [k.path for k in xdg.keeps]


def test_a_root_really_inside_home_moves_nothing(tmp_path, monkeypatch):
    home = tmp_path / "home"
    isolate(monkeypatch, home, home / "scratch")
    with pytest.raises(ConfigError, match="is inside your home"):  # refused before any move
        load_settings()


def test_select_by_tool_or_variable(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path / "home", tmp_path / "scratch")
    all_moves = moves.home_moves(build_plan(load_settings()))
    assert [m.var for m in moves.select(all_moves, ["pip", "CARGO_HOME"])] == [
        "PIP_CACHE_DIR", "CARGO_HOME"]
    with pytest.raises(ConfigError, match="known tools: xdg, huggingface"):
        moves.select(all_moves, ["nope"])


def test_an_entry_below_an_offender_takes_it_over(tmp_path, monkeypatch):
    home = tmp_path / "home"
    isolate(monkeypatch, home, tmp_path / "scratch")
    config = tmp_path / "config.toml"
    monkeypatch.setenv("SCRATCHENV_CONFIG", str(config))
    config.write_text('disable = ["conda"]\n')
    assert f"{home}/.conda" in [o.path for o in moves.offenders(build_plan(load_settings()))]
    config.write_text('disable = ["conda"]\n'
                      '[vars.CONDA_PKGS_DIRS]\npath = "conda/pkgs"\ndefault = "~/.conda/pkgs"\n')
    plan = build_plan(load_settings())
    assert f"{home}/.conda" not in [o.path for o in moves.offenders(plan)]
    assert f"{home}/.conda/pkgs" in [m.source for m in moves.home_moves(plan)]


MY_TOOL = ('[vars.MY_TOOL_HOME]\npath = "cache/mytool"\ngroup = "cache"\n'
           'default = "~/.mytool"\n'
           '[vars.MY_TOOL_LOGIN_DATA]\nanchor = "home"\npath = ".mytool/token"\nkind = "file"\n'
           'default = "~/.mytool/token"\n')


@pytest.mark.parametrize("beside", [[], ["named_tokens"]])
def test_the_catalogue_says_what_stays_beside_a_pinned_file(tmp_path, monkeypatch, beside):
    """`beside` is data: naming a file there is what keeps it in home when the cache moves
    (HF_TOKEN_PATH's stored_tokens is one such entry)."""
    home = tmp_path / "home"
    isolate(monkeypatch, home, tmp_path / "scratch")
    config = tmp_path / "config.toml"
    config.write_text(MY_TOOL + f"beside = {beside!r}\n".replace("'", '"'))
    monkeypatch.setenv("SCRATCHENV_CONFIG", str(config))
    mine = next(m for m in moves.home_moves(build_plan(load_settings()))
                if m.var == "MY_TOOL_HOME")
    expected = [f"{home}/.mytool/{name}" for name in beside] + [f"{home}/.mytool/token"]
    assert [k.path for k in mine.keeps] == sorted(expected)
