"""JULIA_DEPOT_PATH is a path list: the depot on scratch, then an empty entry that Julia
expands to its bundled depots. Every format must export it with that trailing `:`, and
the checks must read the location out of it.

Julia cannot be installed here (neither Debian 12 nor PyPI ship it), so `julia_depots`
below restates Julia's own rule, `Base.init_depot_path` in base/initdefs.jl (1.11+):

    for path in eachsplit(ENV["JULIA_DEPOT_PATH"], ':')
        if isempty(path)
            append_bundled_depot_path!(DEPOT_PATH)   # BINDIR/../local/share/julia,
        else                                         # BINDIR/../share/julia
            path = expanduser(path)
            path in DEPOT_PATH || push!(DEPOT_PATH, path)
        end
    end

(1.10 appended `~/.julia` with the bundled depots; only the first depot is written to,
so that adds a read-only entry and changes nothing below.) Set to a single path, the list
holds that path alone and the standard library's precompiled caches are gone.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from dotenv import dotenv_values
from helpers import need
from helpers.cli import cli
from shells.test_same_values import SOURCE

from scratchenv.config.settings import load_settings
from scratchenv.plan import build_plan
from scratchenv.shells import renderer

BINDIR = "/opt/julia-1.11/bin"
BUNDLED = ["/opt/julia-1.11/local/share/julia", "/opt/julia-1.11/share/julia"]


def julia_depots(value: str, home: str) -> list[str]:
    """DEPOT_PATH as Julia builds it from JULIA_DEPOT_PATH (the module docstring)."""
    depots: list[str] = []
    for path in value.split(":"):
        added = BUNDLED if path == "" else [home + path[1:] if path.startswith("~") else path]
        depots += [depot for depot in added if depot not in depots]
    return depots


def test_the_rule_as_julia_states_it(isolated):
    home = str(isolated)
    assert julia_depots("/s/julia", home) == ["/s/julia"]  # the bundled depots are dropped
    assert julia_depots("/s/julia:", home) == ["/s/julia", *BUNDLED]
    assert julia_depots("~/d::", home) == [f"{home}/d", *BUNDLED]


@pytest.fixture
def plan(root, isolated):
    return build_plan(load_settings())


def test_the_plan_keeps_the_location_and_exports_it_with_the_empty_entry(plan, root):
    change = plan.get("JULIA_DEPOT_PATH")
    assert change.value == f"{root}/julia"  # what migrate, bootstrap and status act on
    assert change.exported == f"{root}/julia:"
    assert change.location_in(f"{root}/julia:/site/depot:") == f"{root}/julia"


@pytest.mark.parametrize("shell", sorted(SOURCE))
def test_each_shell_exports_the_depot_then_the_bundled_depots(shell, plan, root, isolated,
                                                              tmp_path):
    need(shell)
    environ = {"HOME": str(isolated), "PATH": "/usr/bin:/bin"}
    script = tmp_path / f"activate.{shell}"
    script.write_text(renderer(shell).render(plan, environ))
    done = subprocess.run([*SOURCE[shell], str(script)], env=environ, capture_output=True,
                          text=True, timeout=60, check=True)
    value = json.loads(done.stdout)["JULIA_DEPOT_PATH"]
    assert value == f"{root}/julia:"
    assert julia_depots(value, str(isolated)) == [f"{root}/julia", *BUNDLED]


def test_dotenv_and_json_write_it_alike(plan, root, isolated, tmp_path):
    environ = {"HOME": str(isolated), "PATH": "/usr/bin:/bin"}
    path = tmp_path / "scratch.env"
    path.write_text(renderer("dotenv").render(plan, environ))
    assert dotenv_values(path)["JULIA_DEPOT_PATH"] == f"{root}/julia:"
    shown = json.loads(renderer("json").render(plan, environ))
    assert shown["JULIA_DEPOT_PATH"] == f"{root}/julia:"


def verify_lines(**environ: str) -> list[dict]:
    done = cli("verify", "--format", "json", env={**os.environ, **environ})
    return [f for f in json.loads(done.stdout)["findings"] if f["subject"] == "JULIA_DEPOT_PATH"]


def test_verify_reads_the_location_out_of_the_list(root):
    findings = verify_lines(JULIA_DEPOT_PATH=f"{root}/julia:")
    assert findings and all(f["status"] != "fail" for f in findings), findings
    assert any(f["check"] == "var.under_root" and f["status"] == "pass" for f in findings)


def test_verify_fails_a_depot_path_without_the_empty_entry(root):
    findings = verify_lines(JULIA_DEPOT_PATH=f"{root}/julia")
    failed = [f for f in findings if f["status"] == "fail"]
    assert [f["check"] for f in failed] == ["var.path_list"]
    assert f"{root}/julia:" in failed[0]["fix"]


def test_migrate_moves_the_depot_directory_not_a_name_with_a_colon(root, isolated):
    package = isolated / ".julia" / "packages" / "Example" / "src" / "Example.jl"
    package.parent.mkdir(parents=True)
    package.write_text("module Example end\n")
    done = cli("migrate", "julia", "--apply", "--yes")
    assert done.returncode == 0, done.stderr
    moved = root / "julia" / "packages" / "Example" / "src" / "Example.jl"
    assert moved.read_text() == "module Example end\n"
    assert not Path(f"{root}/julia:").exists()
    assert not package.exists()
