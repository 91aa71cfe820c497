"""verify: every check passes and fails for the right reason, on real paths and real files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import need_root
from helpers.place import Place

from scratchenv.checks.findings import Finding, Report
from scratchenv.checks.verify import CHECKS, checklist_checks, verify
from scratchenv.errors import ConfigError
from scratchenv.locations import current_user
from scratchenv.plan import build_plan


def find(report: Report, check: str, subject: str | None = None) -> Finding:
    matches = [f for f in report.findings
               if f.check == check and (subject is None or f.subject == subject)]
    assert len(matches) == 1, f"{check} {subject}: {matches or report.findings}"
    return matches[0]


def failures(report: Report) -> list[tuple[str, str]]:
    return [(f.check, f.subject) for f in report.findings if f.status == "fail"]


def test_an_activated_environment_passes(place: Place) -> None:
    settings = place.settings()
    report = verify(build_plan(settings), place.activated(settings))
    assert report.ok, failures(report)
    assert find(report, "var.under_root", "HF_HOME").status == "pass"
    assert find(report, "root.free_space").status == "pass"


def test_unset_variable_fails_with_the_exact_export_line(place: Place) -> None:
    environ = place.activated()
    del environ["PIP_CACHE_DIR"]
    report = verify(place.plan(), environ)
    finding = find(report, "var.set", "PIP_CACHE_DIR")
    assert finding.status == "fail"
    assert finding.fix == f"export PIP_CACHE_DIR={place.root}/cache/pip"
    assert failures(report) == [("var.set", "PIP_CACHE_DIR")]


def test_relative_path_fails(place: Place) -> None:
    report = verify(place.plan(), place.activated(UV_CACHE_DIR="cache/uv"))
    assert find(report, "var.absolute", "UV_CACHE_DIR").status == "fail"
    assert failures(report) == [("var.absolute", "UV_CACHE_DIR")]


@pytest.mark.parametrize(("spelled", "check"), [
    ("", "var.set"),  # set but empty: tools fall back to their default in home
    ("/", "var.under_root"),
    ("{root}/cache/../../home/.cache/huggingface", "var.not_in_home"),
    ("{home}/", "var.not_in_home"),
    ("~/.cache/huggingface", "var.absolute"),  # quoted, so never expanded by the shell
])
def test_odd_spellings_fail_for_the_right_reason(place: Place, spelled: str, check: str) -> None:
    value = spelled.format(root=place.root, home=place.home)
    report = verify(place.plan(), place.activated(HF_HOME=value))
    assert failures(report) == [(check, "HF_HOME")]


@pytest.mark.parametrize("spelled", ["{root}/cache/huggingface/", "{root}//cache/./huggingface",
                                     "{root}/../scratch/cache/huggingface"])
def test_odd_spellings_of_the_right_place_pass(place: Place, spelled: str) -> None:
    report = verify(place.plan(), place.activated(HF_HOME=spelled.format(root=place.root)))
    assert report.ok, failures(report)
    assert find(report, "var.under_root", "HF_HOME").status == "pass"


def test_an_unexpanded_tilde_is_explained(place: Place) -> None:
    # export HF_HOME="~/.cache/huggingface": huggingface_hub expands it (home), pip does not.
    report = verify(place.plan(), place.activated(HF_HOME="~/.cache/huggingface"))
    assert "~ in quotes is not expanded" in find(report, "var.absolute", "HF_HOME").message


def test_symlink_from_scratch_into_home_is_caught(place: Place) -> None:
    # The variable's text is exactly the planned scratch path; the disk says home.
    real = place.home / ".cache" / "huggingface"
    real.mkdir(parents=True)
    (place.root / "cache").symlink_to(place.home / ".cache")  # the whole cache dir moved back
    report = verify(place.plan(), place.activated())
    finding = find(report, "var.not_in_home", "HF_HOME")
    assert finding.status == "fail"
    assert str(real) in finding.message
    assert finding.fix == f"replace the symlink {place.root / 'cache'} with a directory on scratch"
    # Exactly the variables planned under {root}/cache/, and no others.
    under_cache = {
        change.name for change in build_plan(place.settings()).variables
        if change.entry is not None and change.entry.anchor == "root"
        and change.entry.path.startswith("cache/")
    }
    assert {"XDG_CACHE_HOME", "HF_HOME", "TORCH_HOME", "PIP_CACHE_DIR"} <= under_cache
    assert set(failures(report)) == {("var.not_in_home", name) for name in under_cache}


def test_the_symlink_is_blamed_however_the_value_is_spelled(place: Place) -> None:
    (place.home / ".cache").mkdir()
    link = place.root / "cache"
    link.symlink_to(place.home / ".cache")
    for value in (f"{place.root}/cache/huggingface/", f"{place.home}/.cache/huggingface"):
        report = verify(place.plan(), place.activated(HF_HOME=value))
        finding = find(report, "var.not_in_home", "HF_HOME")
        assert finding.fix == f"replace the symlink {link} with a directory on scratch"


def test_home_behind_a_symlink_is_still_home(place: Place, monkeypatch: pytest.MonkeyPatch) -> None:
    # HOME=/x/home-link -> /x/home; a value spelled with the real path shares no prefix.
    link = place.base / "home-link"
    link.symlink_to(place.home)
    monkeypatch.setenv("HOME", str(link))
    environ = place.activated(TORCH_HOME=str(place.home / ".cache" / "torch"))
    report = verify(place.plan(), environ)
    assert find(report, "var.not_in_home", "TORCH_HOME").status == "fail"


def test_scratch_behind_a_symlink_passes(place: Place, monkeypatch: pytest.MonkeyPatch) -> None:
    # Root configured through a symlink, variables spelled with the real path: all fine.
    link = place.base / "scratch-link"
    link.symlink_to(place.root)
    monkeypatch.setenv("SCRATCHENV_ROOT", str(link))
    settings = place.settings()
    environ = place.activated(settings)
    environ["TORCH_HOME"] = str(place.root / "cache" / "torch")
    report = verify(build_plan(settings), environ)
    assert report.ok, failures(report)
    assert find(report, "var.under_root", "TORCH_HOME").status == "pass"


def test_world_writable_directory_fails_and_group_writable_warns(place: Place) -> None:
    settings = place.settings()
    environ = place.activated(settings)
    torch, pip = Path(environ["TORCH_HOME"]), Path(environ["PIP_CACHE_DIR"])
    for directory, mode in ((torch, 0o777), (pip, 0o775)):
        directory.mkdir(parents=True)
        directory.chmod(mode)
    report = verify(build_plan(settings), environ)
    world = find(report, "var.permissions", "TORCH_HOME")
    assert world.status == "fail"
    assert world.fix == f"chmod o-w {torch}"
    assert find(report, "var.permissions", "PIP_CACHE_DIR").status == "warn"
    assert failures(report) == [("var.permissions", "TORCH_HOME")]


def test_world_writable_root_fails(place: Place) -> None:
    place.root.chmod(0o777)
    report = verify(place.plan(), place.activated())
    assert find(report, "root.permissions").status == "fail"


@pytest.fixture
def needs_root() -> None:
    need_root("to create a directory owned by another user")


@pytest.mark.usefixtures("needs_root")
def test_root_owned_by_another_user_fails(place: Place) -> None:
    settings = place.settings()  # validated while the root was still ours
    os.chown(place.root, 65534, 65534)
    report = verify(build_plan(settings), place.activated(settings))
    finding = find(report, "root.owner")
    assert finding.status == "fail"
    assert "uid 65534" in finding.message


@pytest.mark.usefixtures("needs_root")
def test_variable_directory_owned_by_another_user_fails(place: Place) -> None:
    settings = place.settings()
    environ = place.activated(settings)
    uv = Path(environ["UV_CACHE_DIR"])
    uv.mkdir(parents=True)
    os.chown(uv, 65534, 65534)
    report = verify(build_plan(settings), environ)
    assert failures(report) == [("var.owner", "UV_CACHE_DIR")]


def test_value_outside_scratch_fails_elsewhere_on_scratch_warns(place: Place) -> None:
    elsewhere = place.base / "elsewhere"
    environ = place.activated(TORCH_HOME=str(elsewhere),
                              PIP_CACHE_DIR=str(place.root / "my-pip"))
    report = verify(place.plan(), environ)
    assert find(report, "var.under_root", "TORCH_HOME").status == "fail"
    assert find(report, "var.under_root", "PIP_CACHE_DIR").status == "warn"


def test_a_value_outside_its_root_gets_the_export_not_advice_about_that_directory(
        place: Place) -> None:
    elsewhere = place.base / "shared"  # where the variable wrongly points: open to everyone
    elsewhere.mkdir()
    elsewhere.chmod(0o777)
    report = verify(place.plan(), place.activated(TORCH_HOME=str(elsewhere)))
    assert failures(report) == [("var.under_root", "TORCH_HOME")]
    assert find(report, "var.under_root", "TORCH_HOME").fix.startswith("export TORCH_HOME=")
    assert not [f for f in report.findings
                if f.subject == "TORCH_HOME" and f.check.startswith(("var.permissions",
                                                                     "var.owner", "var.exists"))]


def test_the_token_is_checked_at_its_pinned_place_not_under_scratch(place: Place) -> None:
    settings = place.settings()
    environ = place.activated(settings)
    pinned = Path(environ["HF_TOKEN_PATH"])
    assert pinned.is_relative_to(place.home)
    report = verify(build_plan(settings), environ)
    assert find(report, "var.pinned", "HF_TOKEN_PATH").status == "pass"
    assert not [f for f in report.findings
                if f.subject == "HF_TOKEN_PATH" and f.check == "var.under_root"]

    pinned.parent.mkdir(parents=True)
    pinned.write_text("hf_secret")
    pinned.chmod(0o644)
    private = find(verify(build_plan(settings), environ), "var.private", "HF_TOKEN_PATH")
    assert private.status == "warn"

    moved = verify(build_plan(settings), {**environ, "HF_TOKEN_PATH": str(place.root / "token")})
    finding = find(moved, "var.pinned", "HF_TOKEN_PATH")
    assert finding.status == "fail"
    assert finding.fix == f"export HF_TOKEN_PATH={pinned}"


def test_node_local_entry_is_expected_on_the_node_in_a_job(place: Place,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    node = place.base / "node-tmp"
    node.mkdir()
    monkeypatch.setenv("SCRATCHENV_VARS", '{"CCACHE_DIR": {"path": "cache/ccache", '
                                          '"node_local": true}}')
    settings = place.settings()
    job = {"SLURM_JOB_ID": "42", "SLURM_TMPDIR": str(node)}
    mine = f"{node}/scratchenv-{current_user()}"
    environ = place.activated(settings, **job, CCACHE_DIR=f"{mine}/cache/ccache")
    report = verify(build_plan(settings), environ)
    assert find(report, "var.under_root", "CCACHE_DIR").status == "pass", report.findings
    on_root = verify(build_plan(settings),
                     {**environ, "CCACHE_DIR": str(place.root / "cache/ccache")})
    assert find(on_root, "var.under_root", "CCACHE_DIR").status == "warn"


def test_free_space_need(place: Place) -> None:
    settings = place.settings()
    environ = place.activated(settings)
    assert find(verify(build_plan(settings), environ, need=1), "root.free_space").status == "pass"
    finding = find(verify(build_plan(settings), environ, need=2**60), "root.free_space")
    assert finding.status == "fail"
    assert "needed" in finding.message


def test_missing_root_fails(place: Place) -> None:
    settings = place.settings()
    place.root.rmdir()
    report = verify(build_plan(settings), place.activated(settings))
    finding = find(report, "root.exists")
    assert finding.status == "fail"
    assert finding.fix == f"mkdir -p -m 700 {place.root}"


def test_venv_python_runs_and_a_broken_one_fails(place: Place) -> None:
    settings = place.settings()
    environ = place.activated(settings)
    venv = Path(environ["VENV_PATH"])
    assert find(verify(build_plan(settings), environ), "venv.python", "VENV_PATH").status == "warn"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    assert find(verify(build_plan(settings), environ), "venv.python", "VENV_PATH").status == "pass"
    target = venv / "bin" / "python"
    target.unlink()
    target.symlink_to(place.base / "python-from-another-node")
    finding = find(verify(build_plan(settings), environ), "venv.python", "VENV_PATH")
    assert finding.status == "fail"
    assert "broken" in finding.message


def test_active_venv_in_home_fails(place: Place) -> None:
    venv = place.home / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    report = verify(place.plan(), place.activated(VIRTUAL_ENV=str(venv)))
    finding = find(report, "venv.active")
    assert finding.status == "fail"
    assert "inside home" in finding.message
    assert find(report, "venv.python", "VIRTUAL_ENV").status == "pass"


def test_cargo_bin_on_path_and_not_shadowed_by_home(place: Place) -> None:
    settings = place.settings()
    environ = place.activated(settings)
    cargo_bin = f"{place.root}/.cargo/bin"
    assert find(verify(build_plan(settings), environ), "path.entry", cargo_bin).status == "pass"
    without = ":".join(p for p in environ["PATH"].split(":") if p != cargo_bin)
    report = verify(build_plan(settings), {**environ, "PATH": without})
    assert find(report, "path.entry", cargo_bin).status == "fail"
    for directory in (cargo_bin, f"{place.home}/.cargo/bin", f"{place.home}/.local/bin"):
        os.makedirs(directory)
    Path(cargo_bin, "cargo").touch()
    Path(place.home, ".cargo", "bin", "cargo").touch()  # the one from before scratchenv
    Path(place.home, ".local", "bin", "ruff").touch()
    shadowed = f"{place.home}/.cargo/bin:{environ['PATH']}"
    report = verify(build_plan(settings), {**environ, "PATH": shadowed})
    assert find(report, "path.entry", cargo_bin).status == "warn"
    # A home directory with other programs in front is common and harmless.
    ahead = f"{place.home}/.local/bin:{environ['PATH']}"
    assert find(verify(build_plan(settings), {**environ, "PATH": ahead}), "path.entry",
                cargo_bin).status == "pass"


def test_the_path_fix_runs_as_printed_whatever_the_root_is_called(
    place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = place.base / 'it\'s "$HOME" `x`'
    root.mkdir(mode=0o700)
    monkeypatch.setenv("SCRATCHENV_ROOT", str(root))
    settings = place.settings()
    environ = place.activated(settings, PATH="/usr/bin:/bin")
    finding = find(verify(build_plan(settings), environ), "path.entry", f"{root}/.cargo/bin")
    assert finding.status == "fail" and finding.fix
    fixed = subprocess.run(["bash", "-c", f'{finding.fix}\nprintf %s "$PATH"'],
                           capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert fixed.stdout == f"{root}/.cargo/bin:/usr/bin:/bin"


def test_bounded_home_scan_stops_at_the_threshold(place: Place,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # 20 000 files of 4 KiB (about 80 MB on disk) against a 1 MiB threshold.
    monkeypatch.setenv("SCRATCHENV_THRESHOLDS__HOME_WARN", "1M")
    for group in range(20):
        directory = place.home / "data" / f"g{group}"
        directory.mkdir(parents=True)
        for number in range(1000):
            (directory / f"f{number}").write_bytes(b"x" * 4096)
    settings = place.settings()
    report = verify(build_plan(settings), place.activated(settings))
    finding = find(report, "home.usage")
    assert finding.status == "warn"
    assert "scan stopped" in finding.message
    scanned = int(finding.message.split(" after ")[1].split()[0])
    assert scanned < 2000  # stopped early, not after walking all 20 000
    plan = build_plan(settings)
    strict = verify(plan, place.activated(settings), checks=checklist_checks(plan))
    assert find(strict, "home.usage").status == "fail"


def test_bounded_home_scan_sees_through_a_symlinked_home(place: Place,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # HOME=/x/home-link -> /x/home (common on clusters): its files count, not the link's.
    monkeypatch.setenv("SCRATCHENV_THRESHOLDS__HOME_WARN", "1M")
    (place.home / "big").write_bytes(b"x" * 4 * 1024 * 1024)
    link = place.base / "home-link"
    link.symlink_to(place.home)
    monkeypatch.setenv("HOME", str(link))
    settings = place.settings()
    finding = find(verify(build_plan(settings), place.activated(settings)), "home.usage")
    assert finding.status == "warn"
    assert "scan stopped" in finding.message


def test_home_under_threshold_passes_with_a_full_scan(place: Place) -> None:
    (place.home / "notes.txt").write_text("small")
    finding = find(verify(place.plan(), place.activated()), "home.usage")
    assert finding.status == "pass"
    assert "scanned" in finding.message


def test_missing_script_is_a_usage_error(place: Place) -> None:
    with pytest.raises(ConfigError, match="cannot read .*nope.slurm"):
        verify(place.plan(), place.activated(), script=place.base / "nope.slurm")


def test_checks_are_a_list_of_small_functions(place: Place) -> None:
    def node_check(ctx):  # type: ignore[no-untyped-def]
        return [Finding(check="node.demo", subject="node1", status="pass", message="ok")]

    report = verify(place.plan(), place.activated(), checks=[*CHECKS, node_check])
    assert report.findings[-1].check == "node.demo"


def test_checklist_covers_the_original_items(place: Place) -> None:
    settings = place.settings()
    plan = build_plan(settings)
    report = verify(plan, place.activated(settings), checks=checklist_checks(plan))
    subjects = {f.subject for f in report.findings if f.check == "var.set"}
    assert subjects == {"NANOCHAT_BASE_DIR", "VENV_PATH", "CARGO_HOME", "RUSTUP_HOME",
                        "UV_CACHE_DIR", "PIP_CACHE_DIR"}
    assert {f.check for f in report.findings} >= {"home.usage", "root.free_space"}
    assert report.ok
