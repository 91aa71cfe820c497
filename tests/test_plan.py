from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scratchenv.config.settings import load_settings
from scratchenv.plan import PrependPath, SetVar, build_plan


def test_nanochat_layout_is_the_tree_users_know(root, isolated):
    plan = build_plan(load_settings(project="nanochat"))
    values = {change.name: change.value for change in plan.variables}
    r = str(root)
    assert {name: values[name] for name in (
        "VENV_PATH", "NANOCHAT_BASE_DIR", "HF_HOME", "TORCH_HOME",
        "UV_CACHE_DIR", "PIP_CACHE_DIR", "CARGO_HOME", "RUSTUP_HOME",
    )} == {
        "VENV_PATH": f"{r}/nanochat-venv",
        "NANOCHAT_BASE_DIR": f"{r}/nanochat-cache",
        "HF_HOME": f"{r}/cache/huggingface",
        "TORCH_HOME": f"{r}/cache/torch",
        "UV_CACHE_DIR": f"{r}/cache/uv",
        "PIP_CACHE_DIR": f"{r}/cache/pip",
        "CARGO_HOME": f"{r}/.cargo",
        "RUSTUP_HOME": f"{r}/.rustup",
    }
    assert values["HF_TOKEN_PATH"] == f"{isolated}/.cache/huggingface/token"
    assert PrependPath("PATH", f"{r}/.cargo/bin") in plan.path_entries


def test_disabled_tools_and_own_entries(root, isolated):
    config = isolated / ".config" / "scratchenv" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        'disable = ["cargo", "go", "pixi", "PIP_CACHE_DIR"]\n[vars.MY_DATA]\npath = "data/mine"\n'
    )
    plan = build_plan(load_settings())
    assert plan.get("CARGO_HOME") is None and plan.get("PIP_CACHE_DIR") is None
    assert plan.path_entries == []
    mine = plan.get("MY_DATA")
    assert mine is not None and mine.value == f"{root}/data/mine"


def test_node_local_entries_move_to_the_job_tmpdir_only_inside_a_job(root):
    plan = build_plan(load_settings())
    triton = plan.get("TRITON_CACHE_DIR")
    assert triton is not None and triton.node_local
    outside = plan.apply({"HOME": "/h", "TMPDIR": "/tmp"})
    assert outside["TRITON_CACHE_DIR"] == triton.value
    inside = plan.apply({"HOME": "/h", "SLURM_JOB_ID": "7", "SLURM_TMPDIR": "/local/job7"})
    assert inside["TRITON_CACHE_DIR"] == f"/local/job7/scratchenv-{plan.user}/cache/triton"
    assert inside["HF_HOME"] == f"{root}/cache/huggingface"


def test_site_values_outside_home_stand_only_when_asked(root, monkeypatch):
    site = {"HOME": "/home/u", "PIP_CACHE_DIR": "/site/pip", "HF_HOME": "/home/u/.hf"}
    assert build_plan(load_settings()).apply(site)["PIP_CACHE_DIR"] == f"{root}/cache/pip"
    monkeypatch.setenv("SCRATCHENV_KEEP_SITE_VALUES", "true")
    after = build_plan(load_settings()).apply(site)
    assert after["PIP_CACHE_DIR"] == "/site/pip"
    assert after["HF_HOME"] == f"{root}/cache/huggingface"  # inside home: moved anyway


def test_activate_venv_puts_its_bin_first(root, monkeypatch):
    monkeypatch.setenv("SCRATCHENV_ACTIVATE_VENV", "1")
    monkeypatch.setenv("SCRATCHENV_DISABLE", '["go", "pixi"]')
    after = build_plan(load_settings(project="nanochat")).apply({"PATH": "/usr/bin"})
    assert after["VIRTUAL_ENV"] == f"{root}/nanochat-venv"
    assert after["PATH"] == f"{root}/nanochat-venv/bin:{root}/.cargo/bin:/usr/bin"


names = st.sampled_from(["HF_HOME", "PATH", "CARGO_HOME", "UV_CACHE_DIR", "OTHER", "TORCH_HOME"])
environments = st.dictionaries(names, st.text(st.characters(blacklist_characters="\0"), max_size=8))


# A loaded CI machine can take a second to draw one small dict: that is not this test's concern.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=environments)
def test_apply_is_idempotent(before):
    plan = _plan()
    assert plan.apply(plan.apply(before)) == plan.apply(before)


def _plan():
    from scratchenv.plan import Plan

    return Plan(
        root="/scratch/u",
        home="/home/u",
        changes=(
            SetVar("HF_HOME", "/scratch/u/cache/huggingface"),
            SetVar("CARGO_HOME", "/scratch/u/.cargo"),
            PrependPath("PATH", "/scratch/u/.cargo/bin"),
        ),
    )


def test_a_tool_home_holding_scratchenvs_own_install_stays_where_the_tool_finds_it(
        root, isolated):
    """Installed with pipx (or `uv tool`), scratchenv's venv is in the tool's default home:
    PIPX_HOME on scratch would make `pipx list` and `pipx upgrade scratchenv` find nothing."""
    settings = load_settings()
    pipx = isolated / ".local" / "share" / "pipx"
    plan = build_plan(settings, install=str(pipx / "venvs" / "scratchenv"))
    assert plan.apply({})["PIPX_HOME"] == str(pipx)
    assert plan.apply({})["UV_TOOL_DIR"] == f"{root}/uv/tools"
    uv = build_plan(settings, install=str(isolated / ".local/share/uv/tools/scratchenv"))
    assert uv.apply({})["UV_TOOL_DIR"] == str(isolated / ".local/share/uv/tools")
    assert uv.apply({})["PIPX_HOME"] == f"{root}/pipx"
    # Only installed tools' homes: run from a cache (`pipx run`), the caches still move.
    cached = build_plan(settings, install=str(isolated / ".cache/pipx/abc/scratchenv"))
    assert cached.apply({})["XDG_CACHE_HOME"] == f"{root}/cache/xdg"
