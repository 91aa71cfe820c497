"""The centres table: each row sourced, and each centre, given exactly what its documentation
says its login environment has (paths in a sandbox), gets the documented scratch root,
persistent root and purge rule with no config file.

The expectations below are written from the centres' pages (centres.toml names them), not
derived from the table, so a row that drifts from its documentation fails here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import need_root
from helpers.cli import cli

from scratchenv.config import centres, detect
from scratchenv.config.settings import load_settings
from scratchenv.errors import ConfigError

USER = "alice"

# centre -> (variables: name -> sandbox path or literal, directories of the user's to create,
#            scratch root, persistent root, (purge days, by))
DOCUMENTED = {
    "nersc": ({"PSCRATCH": "/pscratch/sd/a/alice", "SCRATCH": "/pscratch/sd/a/alice"},
              ["/pscratch/sd/a/alice"], "/pscratch/sd/a/alice", None, (56, "atime")),
    "tacc": ({"STOCKYARD": "/work2/01234", "SCRATCH": "/scratch1/01234/alice",
              "WORK": "/work2/01234/alice/frontera"},
             ["/scratch1/01234/alice", "/work2/01234/alice/frontera"],
             "/scratch1/01234/alice", "/work2/01234/alice/frontera", (10, "atime")),
    "purdue": ({"RCAC_SCRATCH": "/scratch/gilbreth/alice"}, ["/scratch/gilbreth/alice"],
               "/scratch/gilbreth/alice", None, (60, None)),
    "pawsey": ({"PAWSEY_PROJECT": "pawsey0001", "MYSCRATCH": "/scratch/pawsey0001/alice"},
               ["/scratch/pawsey0001/alice"], "/scratch/pawsey0001/alice", None, (21, "atime")),
    "juelich": ({"SCRATCH": "/p/scratch/cjsc", "PROJECT": "/p/project/cjsc",
                 "ARCHIVE": "/p/arch/cjsc"}, ["/p/scratch/cjsc", "/p/project/cjsc"],
                "/p/scratch/cjsc/alice", "/p/project/cjsc/alice", None),
    "vsc": ({"VSC_SCRATCH": "/scratch/gent/400/vsc40000", "VSC_DATA": "/data/gent/400/vsc40000"},
            ["/scratch/gent/400/vsc40000", "/data/gent/400/vsc40000"],
            "/scratch/gent/400/vsc40000", "/data/gent/400/vsc40000", None),
    "princeton": ({}, ["/scratch/gpfs/alice"], "/scratch/gpfs/alice", None, None),
    "sherlock": ({"SCRATCH": "/scratch/users/alice", "GROUP_SCRATCH": "/scratch/groups/pi",
                  "GROUP_HOME": "/home/groups/pi"}, ["/scratch/users/alice"],
                 "/scratch/users/alice", None, None),
    "mila": ({"SCRATCH": "/network/scratch/a/alice"}, ["/network/scratch/a/alice"],
             "/network/scratch/a/alice", None, (90, None)),
    "delta": ({}, ["/work/hdd/bbka/alice", "/projects/bbka/alice"], "/work/hdd/bbka/alice",
              "/projects/bbka/alice", None),
    "uab": ({"USER_SCRATCH": "/scratch/alice"}, ["/scratch/alice"], "/scratch/alice", None,
            (30, None)),
    "lawrencium": ({"SCRATCH": "/global/scratch/users/alice"}, ["/global/scratch/users/alice"],
                   "/global/scratch/users/alice", None, None),
}
NOT_DERIVABLE = {"alliance": (60, None), "lumi": (90, "atime"), "csc": (180, None),
                 "archer2": None, "yale": (60, None), "osc": None,
                 "greatlakes": (60, "atime")}
"""Centres whose per-user root the documentation does not name: nothing is invented, and
`profile = "<centre>"` with a root of your own gives the documented purge rule."""


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The file system detection sees (conftest points it at an empty directory)."""
    monkeypatch.setenv("USER", USER)
    return Path(centres.SEARCH_ROOT)


def _in(sandbox: Path, value: str) -> str:
    return str(sandbox / value.lstrip("/")) if value.startswith("/") else value


def test_every_centre_has_a_test_here() -> None:
    assert set(centres.table()) == set(DOCUMENTED) | {"fasrc"} | set(NOT_DERIVABLE)


def test_every_row_names_its_source_and_when_it_was_read() -> None:
    for centre in centres.table().values():
        assert centre.source and all(url.startswith("https://") for url in centre.source)
        assert centre.checked
        assert centre.notes or centre.purge, f"{centre.key}: say what is not documented"


@pytest.mark.parametrize("row", [
    '[x]\nname = "X"\nchecked = "2026-12-07"\n',
    '[x]\nname = "X"\nsource = []\nchecked = "2026-12-07"\n',
    '[x]\nname = "X"\nsource = ["my memory"]\nchecked = "2026-12-07"\n',
    '[x]\nname = "X"\nsource = ["https://example.org/"]\n',
])
def test_a_row_without_a_source_is_refused(row: str) -> None:
    with pytest.raises(ConfigError, match=r"centres.toml \[x\]"):
        centres.parse(row)


@pytest.mark.parametrize("key", sorted(DOCUMENTED))
def test_each_centre_gets_its_documented_roots_and_purge_with_no_config(
        key: str, sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    variables, dirs, scratch, persistent, purge = DOCUMENTED[key]
    for path in dirs:
        (sandbox / path.lstrip("/")).mkdir(parents=True)
    for name, value in variables.items():
        monkeypatch.setenv(name, _in(sandbox, value))
    settings = load_settings()
    assert settings.scratch_root == sandbox / scratch.lstrip("/")
    expected = None if persistent is None else sandbox / persistent.lstrip("/")
    assert settings.persistent_root == expected
    assert (settings.purge.days, settings.purge.by) == (purge or (None, None))
    recognised = centres.recognise(os.environ, USER)
    assert recognised is not None and recognised.centre.key == key


def test_fasrc_scratch_is_the_top_and_needs_the_lab(sandbox: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    top = sandbox / "n" / "netscratch"
    (top / "jharvard_lab" / "Lab").mkdir(parents=True)
    monkeypatch.setenv("SCRATCH", str(top))
    with pytest.raises(ConfigError) as error:
        load_settings()
    message = str(error.value)
    assert 'scratch_subdir = "<lab>/Lab/{user}"' in message
    assert "the top of Harvard FASRC's scratch" in message
    monkeypatch.setenv("SCRATCHENV_SCRATCH_SUBDIR", "jharvard_lab/Lab/{user}")
    settings = load_settings()
    assert settings.scratch_root == top / "jharvard_lab" / "Lab" / USER
    assert settings.purge.days == 90


@pytest.mark.parametrize("key", sorted(NOT_DERIVABLE))
def test_no_root_is_invented_where_the_documentation_names_none(
        key: str, sandbox: Path, tmp_path: Path) -> None:
    (sandbox / "scratch").mkdir()  # a /scratch the user may write, but no $USER in it
    with pytest.raises(ConfigError, match=detect.NO_ROOT):
        load_settings()
    mine = tmp_path / "mine"
    mine.mkdir()
    settings = load_settings(profile=key, root=str(mine))
    purge = NOT_DERIVABLE[key]
    assert (settings.purge.days, settings.purge.by) == (purge or (None, None))


def test_a_documented_variable_beats_a_path_guess(sandbox: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Purdue's login sets RCAC_SCRATCH and no SCRATCH; a /scratch/$USER also exists.
    (sandbox / "scratch" / USER).mkdir(parents=True)
    (sandbox / "scratch" / "gilbreth" / USER).mkdir(parents=True)
    monkeypatch.setenv("RCAC_SCRATCH", str(sandbox / "scratch" / "gilbreth" / USER))
    assert load_settings().scratch_root == sandbox / "scratch" / "gilbreth" / USER


def test_a_guess_must_exist_and_be_yours(sandbox: Path) -> None:
    """The issue: with a /scratch the user may write and no variable, scratchenv exported
    /scratch/$USER/... that did not exist. Now nothing under /scratch is invented."""
    (sandbox / "scratch").mkdir()
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert f"/scratch/$USER={sandbox}/scratch/{USER} (does not exist)" in str(error.value)
    (sandbox / "scratch" / USER).mkdir()
    assert load_settings().scratch_root == sandbox / "scratch" / USER


def test_a_guess_owned_by_someone_else_is_not_taken(sandbox: Path) -> None:
    theirs = sandbox / "scratch" / "gpfs" / USER
    theirs.mkdir(parents=True)
    need_root("to give a directory to another user")
    os.chown(theirs, 54321, 54321)
    with pytest.raises(ConfigError, match=detect.NO_ROOT):
        load_settings()
    assert centres.recognise(os.environ, USER) is None


def test_your_config_and_the_site_config_win_over_the_centre(
        sandbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch, work = sandbox / "scratch1" / USER, sandbox / "work2" / USER
    scratch.mkdir(parents=True)
    work.mkdir(parents=True)
    monkeypatch.setenv("STOCKYARD", str(sandbox / "work2"))
    monkeypatch.setenv("SCRATCH", str(scratch))
    monkeypatch.setenv("WORK", str(work))
    site = tmp_path / "site.toml"
    site.write_text("[purge]\ndays = 12\n")
    monkeypatch.setenv("SCRATCHENV_SITE_CONFIG", str(site))
    settings = load_settings()
    assert (settings.purge.days, settings.purge.by) == (12, "atime")  # key by key
    assert settings.persistent_root == work
    user = tmp_path / "config.toml"
    user.write_text("[purge]\ndays = 9\n")
    monkeypatch.setenv("SCRATCHENV_CONFIG", str(user))
    assert load_settings().purge.days == 9


def test_env_says_which_centre_and_from_what(tmp_path: Path) -> None:
    scratch = tmp_path / "gilbreth" / "alice"
    scratch.mkdir(parents=True)
    env = {**os.environ, "RCAC_SCRATCH": str(scratch), "USER": "alice"}
    env.pop("SCRATCH", None)
    result = cli("env", env=env)
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("centre "))
    assert "Purdue RCAC" in row and "recognised from $RCAC_SCRATCH" in row
    purge = next(line for line in result.stdout.splitlines() if line.startswith("purge.days "))
    assert "60" in purge and "centre purdue ($RCAC_SCRATCH)" in purge
    assert f"HF_HOME {scratch}/cache/huggingface" in " ".join(result.stdout.split())


def test_readme_has_the_table_the_generator_prints() -> None:
    import importlib.util

    tools = Path(__file__).resolve().parents[2] / "tools" / "centres_table.py"
    spec = importlib.util.spec_from_file_location("centres_table", tools)
    assert spec and spec.loader
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    readme = generator.README.read_text(encoding="utf-8")
    assert readme == generator.replaced(readme), (
        "README.md's centres table is stale: python tools/centres_table.py --write")
    for centre in centres.table().values():
        assert f"(`{centre.key}`)" in readme


def test_a_changed_centre_variable_regenerates_the_activation(tmp_path: Path) -> None:
    """The login fast path reuses a file made from the same inputs: $RCAC_SCRATCH is one."""
    env = {**os.environ, "USER": "alice"}
    env.pop("SCRATCH", None)
    firsts = []
    for name in ("gilbreth", "bell"):
        scratch = tmp_path / name / "alice"
        scratch.mkdir(parents=True)
        env["RCAC_SCRATCH"] = str(scratch)
        result = cli("activate", "--shell", "bash", env=env)
        assert result.returncode == 0, result.stderr
        firsts.append(Path(result.stdout.strip()).read_text())
    assert f"{tmp_path}/gilbreth/alice/cache/huggingface" in firsts[0]
    assert f"{tmp_path}/bell/alice/cache/huggingface" in firsts[1]


def test_an_unusable_documented_persistent_space_is_left_out_not_an_error(
        sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (sandbox / "p" / "scratch" / "cjsc").mkdir(parents=True)
    monkeypatch.setenv("SCRATCH", str(sandbox / "p" / "scratch" / "cjsc"))
    (sandbox / "p" / "project").mkdir(parents=True)
    (sandbox / "p" / "project" / "gone").write_text("")  # not a directory: unusable
    monkeypatch.setenv("PROJECT", str(sandbox / "p" / "project" / "gone"))
    monkeypatch.setenv("ARCHIVE", str(sandbox / "p" / "arch"))
    settings = load_settings()
    assert settings.scratch_root == sandbox / "p" / "scratch" / "cjsc" / USER
    assert settings.persistent_root is None


def test_a_path_with_a_wildcard_inside_a_part_is_refused():
    """Detection and the start-up cache match shapes with one matcher (config/shapes.py):
    `*` only as a whole part, so what detection saw is what the cache replays."""
    text = ('[x]\nname = "X"\nsource = ["https://example.org/"]\nchecked = "2026-12-07"\n'
            '[x.recognise]\npaths = ["/scratch*/{user}"]\n')
    with pytest.raises(ConfigError, match="is not a path shape"):
        centres.parse(text)
