"""Placeholders are a closed set, substituted by one parser (issue 22): str.format
evaluated format specs (MemoryError) and attribute chains (AttributeError)."""

from __future__ import annotations

import os

import pytest
from helpers.cli import cli

from scratchenv.config.placeholders import MissingValue, PlaceholderError, substitute


def test_the_allowed_placeholders_are_substituted() -> None:
    values = {"user": "bob", "cluster": "della"}
    assert substitute("/s/{cluster}/{user}/{{x}}", values) == "/s/della/bob/{x}"
    assert substitute("{env[WORK]}/{user}", {"user": None}, env={"WORK": "/w"},
                      keep=("user",)) == "/w/{user}"
    with pytest.raises(MissingValue, match=r"needs \$WORK, which is not set"):
        substitute("{env[WORK]}", {}, env={})


@pytest.mark.parametrize("template", [
    "/x/{user:>99999999999}", "{user.__init__.__globals__}", "{user!r}", "{user[0]}", "{0}",
    "{}", "{USER}", "{env[HOME]}", "{env.get}", "/x/{user", "/x/}", "{ user }",
])
def test_anything_else_is_refused(template: str) -> None:
    with pytest.raises(PlaceholderError, match="not a placeholder|a lone"):
        substitute(template, {"user": "bob", "cluster": "c"})


@pytest.mark.parametrize(("setting", "value"), [
    ("ROOT_PATTERN", "/x/{user:>99999999999}"),
    ("ROOT_PATTERN", "/x/{user.__init__.__globals__}"),
    ("SCRATCH_SUBDIR", "{user.__init__.__globals__}"),
    ("SCRATCH_SUBDIR", "lab/{user:>99999999999}"),
])
def test_a_bad_template_is_one_line_exit_2(tmp_path, setting: str, value: str) -> None:
    env = {**os.environ, f"SCRATCHENV_{setting}": value, "SCRATCH": str(tmp_path),
           "HOME": str(tmp_path / "home")}
    env.pop("SCRATCHENV_ROOT", None)
    result = cli("env", env=env)
    assert result.returncode == 2, result.stderr
    assert "is not a placeholder" in result.stderr
    assert len(result.stderr.splitlines()) == 1
