"""The Plan kept for the same inputs (login/resolution.py): `verify` rebuilds it from plain
data while nothing changed, and builds it from validated settings (pydantic) again when an
input changed, with the same verdicts either way."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import cli

from scratchenv.config import settings as settings_module
from scratchenv.config.settings import load_settings
from scratchenv.login import resolution
from scratchenv.plan import build_plan


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, two_roots) -> Path:
    """A state directory that stays put when HOME changes (so a miss is the key's doing)."""
    path = tmp_path / "state"
    monkeypatch.setenv("SCRATCHENV_STATE_DIR", str(path))
    return path


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item per time the settings were built and validated."""
    built: list[int] = []

    def counted(**flags: object) -> object:
        built.append(1)
        return load_settings(**flags)

    monkeypatch.setattr(settings_module, "load_settings", counted)
    return built


def activated() -> dict[str, str]:
    """The environment an activated login has (what verify checks against)."""
    return build_plan(load_settings()).apply(os.environ)


def validated_only(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]
                   ) -> subprocess.CompletedProcess[str]:
    """`verify --json` that never reuses a kept Plan: what the verdicts must equal."""
    with monkeypatch.context() as patch:
        patch.setattr(resolution, "recalled", lambda environ, cwd: None)
        patch.setattr(resolution, "keep", lambda *args: None)
        return cli("verify", "--json", env=environ)


SETTINGS = {
    "defaults": {},
    "a user's own entry": {"SCRATCHENV_VARS": '{"MY_DATA_DIR": {"path": "mine"}}'},
    "tiers and opt-ins": {"SCRATCHENV_TIERS": '{"cache": "persistent"}',
                          "SCRATCHENV_ENABLE": '["PYENV_ROOT"]'},
    "a node-local pattern and thresholds": {
        "SCRATCHENV_NODE_LOCAL": "/local/{user}/{env[SLURM_JOB_ID]}",
        "SCRATCHENV_THRESHOLDS__HOME_WARN": "3G", "SCRATCHENV_PURGE__DAYS": "30",
        "SCRATCHENV_ACTIVATE_VENV": "true"},
}


@pytest.mark.parametrize("given", SETTINGS)
def test_a_kept_plan_is_the_plan(given, state, monkeypatch):
    for name, value in SETTINGS[given].items():
        monkeypatch.setenv(name, value)
    plan = build_plan(load_settings())
    again = resolution.decoded(resolution.encoded(plan))
    assert again == plan
    assert again.variables == plan.variables  # the index by name is rebuilt too
    assert resolution.decoded(resolution.encoded(again)) == plan


def _deep() -> str:
    value: tuple = ()
    for _ in range(1500):  # within marshal's depth, beyond Python's recursion limit
        value = (value,)
    return resolution.packed(value)


NOT_PLANS = [(), {"@": "Plan", "nope": 1}, {"@": "Plan", 1: 2}, {"@": "os.system"}, {"no": "tag"},
             {"@": "SetVar", "name": "X", "value": "/x"}, {"@": ["unhashable"]},
             {"@": "Purge", "days": compile("1", "kept", "eval")}, {"@": "Purge", "days": {1}}]


@pytest.mark.parametrize("text", [*map(resolution.packed, NOT_PLANS), "{", "00", "",
                                  resolution.packed(("a", 1))[:-4], _deep()])
def test_what_is_not_a_kept_plan_is_refused(text):
    with pytest.raises(ValueError):
        resolution.decoded(text)


def test_verify_reuses_the_plan_while_nothing_changed(state, builds, monkeypatch):
    environ = activated()
    first = cli("verify", "--json", env=environ)
    assert first.returncode == 0 and len(builds) == 1
    again = cli("verify", "--json", env=environ)
    assert len(builds) == 1  # rebuilt from the kept plan: no settings, no pydantic
    assert (again.returncode, again.stdout, again.stderr) == (
        first.returncode, first.stdout, first.stderr)
    assert again.stdout == validated_only(monkeypatch, environ).stdout


def _config(text: str) -> None:
    path = Path(os.environ["SCRATCHENV_CONFIG"])
    path.write_text(text)
    path.chmod(0o600)


# Each input the settings depend on, changed: verify must build and validate them again.
CHANGES: dict[str, Callable[[pytest.MonkeyPatch, Path], object]] = {
    "the config file edited": lambda mp, t: _config('disable = ["wandb"]\n'),
    "a SCRATCHENV_* variable": lambda mp, t: mp.setenv("SCRATCHENV_DISABLE", '["torch"]'),
    "the root changed": lambda mp, t: ((t / "other").mkdir(mode=0o700),
                                       mp.setenv("SCRATCHENV_ROOT", str(t / "other"))),
    "the root's mode": lambda mp, t: (t / "scratch").chmod(0o770),
    "the persistent root removed": lambda mp, t: (t / "persistent").rmdir(),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_changed_input_is_validated_again_with_the_same_verdicts(change, state, builds,
                                                                   monkeypatch, tmp_path):
    environ = activated()
    first = cli("verify", "--json", env=environ)
    assert first.returncode == 0 and len(builds) == 1
    CHANGES[change](monkeypatch, tmp_path)
    # The login's environment as it was, with the settings' variables as they are now.
    now = {**{k: v for k, v in environ.items() if not k.startswith("SCRATCHENV_")},
           **{k: v for k, v in os.environ.items() if k.startswith("SCRATCHENV_")}}
    after = cli("verify", "--json", env=now)
    assert len(builds) == 2  # the settings were built and validated again
    fresh = validated_only(monkeypatch, now)
    assert (after.returncode, after.stdout, after.stderr) == (
        fresh.returncode, fresh.stdout, fresh.stderr)
    assert (after.returncode, after.stdout) != (first.returncode, first.stdout)


def test_global_flags_always_build_the_settings(state, builds, tmp_path):
    environ = activated()
    assert cli("verify", env=environ).returncode == 0
    assert cli("--root", os.environ["SCRATCHENV_ROOT"], "verify", env=environ).returncode == 0
    assert len(builds) == 2


def test_a_reused_plan_imports_nothing_verify_does_without(state):
    # Each was a measured part of verify's start-up (issue 27): pydantic ~165 ms,
    # dataclasses ~45 ms with its classes (plain.py), pathlib, re with json and shutil.
    environ = activated()
    assert cli("verify", env=environ).returncode == 0
    code = ("import sys; before = set(sys.modules); from scratchenv.main import main; "
            "code = main(['verify']); "
            "heavy = [m for m in ('pydantic', 'pydantic_settings', 'tomllib', 'plumbum', "
            "'dataclasses', 'pathlib', 're', 'json', 'shutil', 'threading') "
            "if m in sys.modules and m not in before]; print(code, heavy, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=environ)
    assert result.stderr.splitlines()[-1] == "0 []", result.stderr
