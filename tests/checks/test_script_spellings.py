"""Every spelling of issue 23 §1, through the linter alone (in process, no settings)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.cli import cli
from helpers.job_scripts import CASES

from scratchenv.checks.script import lint

NAMES = {"HF_HOME", "TORCH_HOME", "PIP_CACHE_DIR"}
HOME = "/home/u"


def verdict(text: str, script_dir: str | None = None) -> str:
    problems = lint(text, names=NAMES, home=HOME, script_dir=script_dir)
    severities = {problem.severity for problem in problems}
    return "fail" if "fail" in severities else "warn" if "warn" in severities else "pass"


@pytest.mark.parametrize(("line", "expected"), CASES)
def test_each_spelling_gets_its_answer(line: str, expected: str) -> None:
    assert verdict(f"#!/bin/bash\ncd /work\n{line}\npython train.py\n") == expected


def test_the_problem_names_its_own_line() -> None:
    text = "#!/bin/bash\n# comment\nexport \\\n    HF_HOME=$HOME/hf\necho 'x\ny'\nunset HF_HOME\n"
    problems = lint(text, names=NAMES, home=HOME)
    assert [(p.line, p.check) for p in problems] == [(4, "script.repoints"),
                                                     (7, "script.unset")]


def test_a_sourced_file_is_read_when_it_can_be(tmp_path: Path) -> None:
    (tmp_path / "bad.sh").write_text("export HF_HOME=~/hf\n")
    (tmp_path / "good.sh").write_text("export OMP_NUM_THREADS=1\n")
    assert verdict("source ./bad.sh\n", str(tmp_path)) == "fail"
    assert verdict(". good.sh\n", str(tmp_path)) == "pass"
    assert verdict(". missing.sh\n", str(tmp_path)) == "warn"


def test_strict_makes_cannot_tell_a_failure(tmp_path: Path) -> None:
    script = tmp_path / "job.sh"
    script.write_text('#!/bin/bash\neval "$(conda shell.bash hook)"\n')
    env = {"HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin",
           "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    relaxed = cli("lint-scripts", str(script), env=env)
    assert relaxed.returncode == 0, relaxed.stdout + relaxed.stderr
    assert f"{script}:2: warning: cannot tell: eval runs text made at run time" in relaxed.stdout
    strict = cli("lint-scripts", "--strict", str(script), env=env)
    assert strict.returncode == 1
    assert f"{script}:2: cannot tell" in strict.stdout


def test_sourcing_a_pipe_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # reading it would block the gate for good
    assert verdict(f"source {fifo}\n. /dev/stdin\n", str(tmp_path)) == "warn"


def test_what_the_plan_pins_in_home_may_point_there(tmp_path: Path, root: Path) -> None:
    """HF_TOKEN_PATH lives in home on purpose: neither the gate nor the guard stops it."""
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/bash\nexport HF_TOKEN_PATH=$HOME/.cache/huggingface/token\n"
                      "export HF_HOME=$HOME/hf\n")
    env = {"HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin",
           "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    for settings in ({}, {"SCRATCHENV_ROOT": str(root)}):  # the catalogue, then the Plan
        result = cli("lint-scripts", str(script), env={**env, **settings})
        assert result.returncode == 1, result.stderr
        assert f"{script}:3:" in result.stdout and f"{script}:2:" not in result.stdout
