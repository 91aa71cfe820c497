"""verify --deep against the real pip, uv and huggingface_hub of the test environment."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest
from helpers.place import Place

from scratchenv.checks.findings import Report
from scratchenv.checks.verify import verify
from scratchenv.plan import build_plan

BIN = str(Path(sys.executable).parent)


def tool_env(environ: dict[str, str]) -> dict[str, str]:
    """The environment with the test venv's python, pip and uv first on PATH."""
    return {**environ, "PATH": f"{BIN}:{environ.get('PATH', '')}", "VIRTUAL_ENV": sys.prefix}


def said(report: Report, tool: str) -> dict[str, str]:
    return {f.message: f.status for f in report.findings
            if f.check == "tool.location" and f.subject == tool}


@pytest.fixture(autouse=True)
def _tools_are_installed() -> None:
    # They are in the `test` extra; a missing one is a broken test environment.
    for module in ("pip", "uv", "huggingface_hub"):
        assert importlib.util.find_spec(module), f"{module} missing from the test venv"


def test_deep_passes_when_the_tools_write_to_scratch(place: Place) -> None:
    settings = place.settings()
    report = verify(build_plan(settings), tool_env(place.activated(settings)), deep=True)
    for tool in ("pip", "uv", "huggingface_hub"):
        answers = said(report, tool)
        assert answers and set(answers.values()) == {"pass"}, (tool, answers)
    pip = next(iter(said(report, "pip")))
    assert f"{place.root}/cache/pip" in pip
    hub = said(report, "huggingface_hub")
    assert any("HF_TOKEN_PATH" in m and "pinned" in m for m in hub)
    assert any(f"{place.root}/cache/huggingface/hub" in m for m in hub)


def test_deep_fails_when_the_tools_fall_back_to_home(place: Place) -> None:
    settings = place.settings()
    environ = tool_env(place.activated(settings))
    for name in ("PIP_CACHE_DIR", "UV_CACHE_DIR", "HF_HOME", "XDG_CACHE_HOME"):
        del environ[name]
    report = verify(build_plan(settings), environ, deep=True)
    for tool in ("pip", "uv", "huggingface_hub"):
        failed = [f for f in report.findings if f.subject == tool and f.status == "fail"]
        assert failed, (tool, report.findings)
        assert all("inside home" in f.message for f in failed)
    pip = next(f for f in report.findings if f.subject == "pip" and f.status == "fail")
    assert pip.fix == f"export PIP_CACHE_DIR={place.root}/cache/pip"
    assert str(place.home / ".cache" / "pip") in pip.message


def test_tools_that_are_not_installed_are_skipped(place: Place) -> None:
    settings = place.settings()
    environ = tool_env(place.activated(settings))
    empty = place.base / "empty-bin"
    empty.mkdir()
    # Only Cargo's (empty) bin and an empty directory: no uv, no rustup; python comes from
    # VIRTUAL_ENV, so the python probes still run.
    environ["PATH"] = f"{place.root}/.cargo/bin:{empty}"
    report = verify(build_plan(settings), environ, deep=True)
    for tool in ("uv", "rustup"):
        answers = [(f.status, f.message) for f in report.findings if f.subject == tool]
        assert answers == [("skip", f"{tool} is not installed")]
    assert set(said(report, "pip").values()) == {"pass"}
    for module in ("torch", "wandb", "datasets", "matplotlib"):
        if importlib.util.find_spec(module) is None:
            statuses = {f.status for f in report.findings if f.subject == module}
            assert statuses == {"skip"}, module
    assert not [f for f in report.findings if f.check == "tool.location" and f.status == "fail"]


def test_deep_is_off_by_default(place: Place) -> None:
    report = verify(place.plan(), tool_env(place.activated()))
    assert not [f for f in report.findings if f.check == "tool.location"]


def test_a_tool_that_hangs_is_reported_not_waited_for(place: Place,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    fake = place.base / "bin"
    fake.mkdir()
    (fake / "uv").write_text("#!/bin/sh\nexec sleep 30\n")
    (fake / "uv").chmod(0o755)
    monkeypatch.setattr("scratchenv.checks.probes.TIMEOUT", 1.0)
    settings = place.settings()
    environ = place.activated(settings)
    environ["PATH"] = f"{fake}:{BIN}:{os.environ['PATH']}"
    report = verify(build_plan(settings), environ, deep=True)
    uv = [f for f in report.findings if f.subject == "uv"]
    assert [f.status for f in uv] == ["warn"]
    assert "no answer within" in uv[0].message


def test_a_module_that_talks_on_import_is_still_understood(place: Place) -> None:
    # matplotlib prints "building the font cache" on its first import; optional imports
    # complain on stderr. Neither makes it "not installed" nor its answer a path.
    stub = place.base / "stub" / "matplotlib"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text(
        "import sys\n"
        "print('Matplotlib is building the font cache; this may take a moment.')\n"
        "print(\"No module named 'PyQt5'\", file=sys.stderr)\n"
        f"def get_cachedir():\n    return {str(place.root / 'cache' / 'mpl')!r}\n")
    settings = place.settings()
    environ = {**tool_env(place.activated(settings)), "PYTHONPATH": str(stub.parent)}
    answers = said(verify(build_plan(settings), environ, deep=True), "matplotlib")
    assert answers == {f"matplotlib cache: {place.root}/cache/mpl (on scratch)": "pass"}


@pytest.mark.parametrize("output", ["{not json", ""])
def test_a_garbled_or_empty_answer_is_a_warning_not_a_crash(place: Place, output: str) -> None:
    fake = place.base / "bin"
    fake.mkdir()
    (fake / "uv").write_text(f"#!/bin/sh\nprintf '%s' '{output}'\n")
    (fake / "uv").chmod(0o755)
    settings = place.settings()
    environ = place.activated(settings)
    environ["PATH"] = f"{fake}:{BIN}:{os.environ['PATH']}"
    uv = [f for f in verify(build_plan(settings), environ, deep=True).findings if f.subject == "uv"]
    assert [f.status for f in uv] == ["warn"]
    assert uv[0].message.startswith("could not ask uv: ")
