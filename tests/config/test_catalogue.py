"""The shipped catalogue (scratchenv/catalogue.toml) and the catalogue model around it."""

from __future__ import annotations

import textwrap
from itertools import combinations
from pathlib import PurePosixPath

import pytest

from scratchenv.config.catalogue import Catalogue, Entry, load_default, parse
from scratchenv.errors import ConfigError

# The entries every other part of scratchenv was built around, in their reviewed order.
CORE_ORDER = [
    "XDG_CACHE_HOME",
    "HF_HOME",
    "HF_TOKEN_PATH",
    "TORCH_HOME",
    "UV_CACHE_DIR",
    "PIP_CACHE_DIR",
    "CARGO_HOME",
    "RUSTUP_HOME",
]

CORE_PATHS = {
    "HF_HOME": "cache/huggingface",
    "TORCH_HOME": "cache/torch",
    "UV_CACHE_DIR": "cache/uv",
    "PIP_CACHE_DIR": "cache/pip",
    "CARGO_HOME": ".cargo",
    "RUSTUP_HOME": ".rustup",
}

# Root-anchored entries that share a directory (or nest) on purpose, with the reason.
DELIBERATE_OVERLAPS = {
    frozenset({"APPTAINER_CACHEDIR", "SINGULARITY_CACHEDIR"}): (
        "Apptainer reads SINGULARITY_* too and warns on every command when the two differ"
    ),
    frozenset({"JULIA_DEPOT_PATH", "JULIAUP_DEPOT_PATH"}): (
        "juliaup keeps its versions in <depot>/juliaup, beside the packages, as by default"
    ),
}

# Entries whose bin/ goes on PATH; adding one is a reviewed decision.
ON_PATH = {"CARGO_HOME", "GOPATH", "PIXI_HOME"}

DEFAULT_PREFIXES = ("~/", "./", "{xdg_cache}/", "{xdg_config}/", "{xdg_data}/")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_default()


def entry(catalogue: Catalogue, var: str) -> Entry:
    found = catalogue.get(var)
    assert found is not None, f"{var} missing from the shipped catalogue"
    return found


def overlapping(a: str, b: str) -> bool:
    """Same directory, or one inside the other (by path components, not string prefix)."""
    pa, pb = PurePosixPath(a), PurePosixPath(b)
    return pa == pb or pa in pb.parents or pb in pa.parents


# --- the shipped catalogue ----------------------------------------------------------------


def test_existing_entries_stay_first_in_their_order(catalogue: Catalogue) -> None:
    assert [e.var for e in catalogue.entries[: len(CORE_ORDER)]] == CORE_ORDER


@pytest.mark.parametrize(("var", "path"), sorted(CORE_PATHS.items()))
def test_core_variables_keep_their_paths(catalogue: Catalogue, var: str, path: str) -> None:
    core = entry(catalogue, var)
    assert core.path == path
    assert core.anchor == "root"


def test_project_settings_are_not_catalogue_entries(catalogue: Catalogue) -> None:
    names = {e.var for e in catalogue.entries}
    assert "VENV_PATH" not in names
    assert "NANOCHAT_BASE_DIR" not in names


def test_token_stays_pinned_in_home(catalogue: Catalogue) -> None:
    token = entry(catalogue, "HF_TOKEN_PATH")
    assert (token.anchor, token.kind) == ("home", "file")


def test_catalogue_covers_the_ml_stack(catalogue: Catalogue) -> None:
    expected = {
        "TORCH_EXTENSIONS_DIR", "TORCHINDUCTOR_CACHE_DIR", "TRITON_CACHE_DIR", "CUDA_CACHE_PATH",
        "UV_PYTHON_INSTALL_DIR", "UV_TOOL_DIR", "CONDA_PKGS_DIRS", "CONDA_ENVS_DIRS",
        "PIXI_HOME", "PIXI_CACHE_DIR", "POETRY_CACHE_DIR", "PIPX_HOME", "GOPATH", "GOCACHE",
        "npm_config_cache", "YARN_CACHE_FOLDER", "JULIA_DEPOT_PATH", "WANDB_DIR",
        "WANDB_CACHE_DIR", "WANDB_DATA_DIR", "WANDB_ARTIFACT_DIR", "NUMBA_CACHE_DIR",
        "NLTK_DATA", "APPTAINER_CACHEDIR", "SINGULARITY_CACHEDIR", "VLLM_CACHE_ROOT",
        "OLLAMA_MODELS", "PRE_COMMIT_HOME", "CCACHE_DIR", "KERAS_HOME", "TFHUB_CACHE_DIR",
    }  # fmt: skip
    assert expected <= {e.var for e in catalogue.entries}


def test_variables_that_derive_from_another_entry_are_left_out(catalogue: Catalogue) -> None:
    # Each defaults under a directory the catalogue already moves (or is deprecated).
    derived = {"HF_HUB_CACHE", "HF_DATASETS_CACHE", "TRANSFORMERS_CACHE", "GOMODCACHE"}
    assert derived.isdisjoint(e.var for e in catalogue.entries)


def test_every_entry_says_where_it_is_documented(catalogue: Catalogue) -> None:
    undocumented = [e.var for e in catalogue.entries if not e.docs.strip()]
    assert undocumented == []
    not_links = [e.var for e in catalogue.entries if not e.docs.startswith("https://")]
    assert not_links == []


def test_variable_names_are_unique_even_ignoring_case(catalogue: Catalogue) -> None:
    # npm (and Windows) treat npm_config_cache and NPM_CONFIG_CACHE as one setting.
    upper = [e.var.upper() for e in catalogue.entries]
    assert len(upper) == len(set(upper))


def test_paths_are_clean_relative_paths(catalogue: Catalogue) -> None:
    for e in catalogue.entries:
        path = PurePosixPath(e.path)
        assert not path.is_absolute(), e.var
        assert e.path == str(path), f"{e.var}: {e.path!r} is not normalised"
        assert ".." not in path.parts and "." not in e.path.split("/"), e.var


def test_no_two_root_entries_share_or_nest_directories(catalogue: Catalogue) -> None:
    rooted = [e for e in catalogue.entries if e.anchor == "root"]
    clashes = {
        frozenset({a.var, b.var}) for a, b in combinations(rooted, 2) if overlapping(a.path, b.path)
    }
    assert clashes == set(DELIBERATE_OVERLAPS)


def test_deliberate_overlaps_still_overlap(catalogue: Catalogue) -> None:
    # Keeps the allow-list honest: drop a pair once it no longer shares a directory.
    for pair, reason in DELIBERATE_OVERLAPS.items():
        a, b = (entry(catalogue, var) for var in sorted(pair))
        assert overlapping(a.path, b.path), reason


def test_compile_caches_are_node_local(catalogue: Catalogue) -> None:
    assert entry(catalogue, "TRITON_CACHE_DIR").node_local
    assert entry(catalogue, "TORCHINDUCTOR_CACHE_DIR").node_local
    # Persistent state must never be swapped for a per-job directory.
    for var in ("HF_HOME", "CONDA_ENVS_DIRS", "JULIA_DEPOT_PATH", "WANDB_DIR", "GOPATH"):
        assert not entry(catalogue, var).node_local, var


def test_only_reviewed_entries_go_on_path(catalogue: Catalogue) -> None:
    assert {e.var for e in catalogue.entries if e.bin} == ON_PATH
    for var in ON_PATH:
        assert entry(catalogue, var).bin == "bin"


def test_files_are_not_node_local_and_have_no_bin(catalogue: Catalogue) -> None:
    for e in catalogue.entries:
        if e.kind == "file":
            assert not e.node_local and e.bin is None, e.var


def test_defaults_use_the_documented_forms(catalogue: Catalogue) -> None:
    for e in catalogue.entries:
        if e.default is None:
            continue
        assert e.default.startswith(DEFAULT_PREFIXES), f"{e.var}: {e.default!r}"
        resolved = e.default_path("/home/u")
        assert resolved is not None
        assert "{" not in resolved, f"{e.var}: unresolved placeholder in {resolved!r}"
        if not e.default.startswith("./"):
            assert resolved.startswith("/home/u/"), f"{e.var}: {resolved!r}"


def test_default_paths_resolve_against_home(catalogue: Catalogue) -> None:
    assert entry(catalogue, "TRITON_CACHE_DIR").default_path("/h") == "/h/.triton/cache"
    assert entry(catalogue, "HF_HOME").default_path("/h") == "/h/.cache/huggingface"
    assert entry(catalogue, "UV_TOOL_DIR").default_path("/h") == "/h/.local/share/uv/tools"
    assert entry(catalogue, "WANDB_DIR").default_path("/h") == "./wandb"


def test_tool_keys_are_lowercase(catalogue: Catalogue) -> None:
    assert [e.var for e in catalogue.entries if e.tool != e.tool.lower()] == []


# --- extending and selecting --------------------------------------------------------------


def test_extended_adds_a_user_entry(catalogue: Catalogue) -> None:
    extended = catalogue.extended({"MY_CACHE": {"path": "cache/my"}})
    added = extended.get("MY_CACHE")
    assert added is not None
    assert (added.path, added.tool, added.anchor, added.kind) == (
        "cache/my",
        "my_cache",
        "root",
        "dir",
    )
    assert extended.entries[-1] == added
    assert len(extended.entries) == len(catalogue.entries) + 1
    assert catalogue.get("MY_CACHE") is None  # the shipped catalogue is untouched


def test_extended_replaces_an_entry_by_name(catalogue: Catalogue) -> None:
    extended = catalogue.extended({"HF_HOME": {"tool": "huggingface", "path": "hf"}})
    assert [e.path for e in extended.entries if e.var == "HF_HOME"] == ["hf"]
    assert len(extended.entries) == len(catalogue.entries)


def test_extended_rejects_a_bad_user_entry(catalogue: Catalogue) -> None:
    with pytest.raises(ConfigError, match="MY_CACHE"):
        catalogue.extended({"MY_CACHE": {"path": "cache/my", "colour": "red"}})


def test_select_drops_every_wandb_variable(catalogue: Catalogue) -> None:
    wandb_vars = {e.var for e in catalogue.entries if e.tool == "wandb"}
    assert {"WANDB_DIR", "WANDB_CACHE_DIR"} <= wandb_vars
    kept = catalogue.select({"wandb"})
    assert [e for e in kept.entries if e.var.startswith("WANDB_") or e.tool == "wandb"] == []
    assert [e.var for e in kept.entries] == [
        e.var for e in catalogue.entries if e.var not in wandb_vars and not e.opt_in
    ]


def test_select_drops_a_single_variable_by_name(catalogue: Catalogue) -> None:
    kept = catalogue.select({"SINGULARITY_CACHEDIR"})
    assert kept.get("SINGULARITY_CACHEDIR") is None
    assert kept.get("APPTAINER_CACHEDIR") is not None
    on_by_default = [e for e in catalogue.entries if not e.opt_in]
    assert len(kept.entries) == len(on_by_default) - 1


# --- opt-in entries and the survey ----------------------------------------------------------

OPT_IN = {"IPYTHONDIR": "ipython", "JUPYTER_DATA_DIR": "jupyter",
          "JUPYTER_RUNTIME_DIR": "jupyter", "JAX_COMPILATION_CACHE_DIR": "jax",
          "MAMBA_ROOT_PREFIX": "micromamba", "MPLCONFIGDIR": "matplotlib", "PYENV_ROOT": "pyenv"}
SURVEY = {"FLASHINFER_WORKSPACE_BASE", "GRADLE_USER_HOME", "SPACK_USER_CACHE_PATH", "PYENV_ROOT",
          "WORKON_HOME", "PEX_ROOT", "TRITON_HOME", "SINGULARITY_LOCALCACHEDIR",
          "__GL_SHADER_DISK_CACHE_PATH", "JULIAUP_DEPOT_PATH"}


def test_reviewed_exclusions_are_opt_in_entries_with_a_caveat(catalogue: Catalogue) -> None:
    assert {e.var: e.tool for e in catalogue.entries if e.opt_in} == OPT_IN
    for var in OPT_IN:
        assert entry(catalogue, var).caveat, f"{var}: an opt-in entry says what it costs"
    assert [e.var for e in catalogue.entries if e.caveat and not e.opt_in] == []


def test_opt_in_entries_are_off_until_enabled(catalogue: Catalogue) -> None:
    default = catalogue.select(set())
    assert default.get("JAX_COMPILATION_CACHE_DIR") is None
    by_tool = catalogue.select(set(), {"jax", "jupyter"})
    assert by_tool.get("JAX_COMPILATION_CACHE_DIR") is not None
    assert by_tool.get("JUPYTER_RUNTIME_DIR") is not None
    assert by_tool.get("IPYTHONDIR") is None
    by_var = catalogue.select(set(), {"MPLCONFIGDIR"})
    assert by_var.get("MPLCONFIGDIR") is not None
    # disable wins over enable
    assert catalogue.select({"jax"}, {"jax"}).get("JAX_COMPILATION_CACHE_DIR") is None


def test_the_survey_entries_are_in_with_a_group(catalogue: Catalogue) -> None:
    assert {e.var for e in catalogue.entries} >= SURVEY
    groups = {"cache", "env", "toolchain", "data", "run"}
    assert {var: entry(catalogue, var).group for var in SURVEY if
            entry(catalogue, var).group not in groups} == {}


# --- malformed catalogues -----------------------------------------------------------------


def catalogue_text(var: str, *extra: str) -> str:
    lines = [f"[{var}]", 'tool = "t"', 'path = "cache/t"', *extra]
    return "\n".join(lines) + "\n"


def test_parse_accepts_a_well_formed_entry() -> None:
    parsed = parse(catalogue_text("GOOD_VAR", "node_local = true"), origin="x")
    assert [(e.var, e.path, e.node_local) for e in parsed.entries] == [
        ("GOOD_VAR", "cache/t", True)
    ]


def test_unknown_field_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^x: entry MY_VAR: colour"):
        parse(catalogue_text("MY_VAR", 'colour = "red"'), origin="x")


@pytest.mark.parametrize("bad", ["1BAD", "A-B", "PATH", "SCRATCHENV_ROOT"])
def test_bad_variable_name_is_a_config_error(bad: str) -> None:
    reason = "(is not a valid|cannot be an entry)"
    with pytest.raises(ConfigError, match=rf"^x: entry {bad}: var: '{bad}' {reason}"):
        parse(catalogue_text(bad), origin="x")


@pytest.mark.parametrize(
    "text",
    [
        '[NO_PATH]\ntool = "t"\n',
        catalogue_text("BAD_KIND", 'kind = "socket"'),
        catalogue_text("BAD_ANCHOR", 'anchor = "tmp"'),
        'NOT_A_TABLE = "cache/x"\n',
        "[BROKEN\n",
        catalogue_text("DUP") + catalogue_text("DUP"),
        '[ABS]\npath = "/data/x"\n',
        '[TILDE]\npath = "~/x"\n',
        '[EMPTY]\npath = ""\n',
        catalogue_text("ODD_DEFAULT", 'default = "{home}/x"'),
        catalogue_text("BRACE_DEFAULT", 'default = "~/x{"'),
    ],
    ids=["missing-path", "bad-kind", "bad-anchor", "not-a-table", "bad-toml", "duplicate",
         "absolute-path", "tilde-path", "empty-path", "unknown-placeholder", "lone-brace"],
)
def test_malformed_catalogue_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^x: "):
        parse(text, origin="x")


def test_errors_name_their_origin() -> None:
    text = textwrap.dedent(
        """\
        [OK_VAR]
        path = "cache/ok"

        [BAD-VAR]
        path = "cache/bad"
        """
    )
    with pytest.raises(ConfigError) as caught:
        parse(text, origin="~/.config/scratchenv/config.toml")
    assert str(caught.value).startswith("~/.config/scratchenv/config.toml: entry BAD-VAR:")
