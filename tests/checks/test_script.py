"""The static job-script linter (checks/script.py) and the gate built on it: verify
--script, checklist --script, sbatch and lint-scripts make one decision, exit 1 on it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers.cli import cli
from helpers.place import Place

from scratchenv.checks.findings import Finding, Report
from scratchenv.checks.verify import verify


def find(report: Report, check: str, subject: str | None = None) -> Finding:
    matches = [f for f in report.findings
               if f.check == check and (subject is None or f.subject == subject)]
    assert len(matches) == 1, f"{check} {subject}: {matches or report.findings}"
    return matches[0]


SPEEDRUN = """#!/bin/bash
# Default intermediate artifacts directory is in ~/.cache/nanochat
export OMP_NUM_THREADS=1
export NANOCHAT_BASE_DIR="$HOME/.cache/nanochat"
mkdir -p $NANOCHAT_BASE_DIR
export HF_HOME="${HF_HOME:-$HOME/.cache/huggingface}"
unset TORCH_HOME
export PIP_CACHE_DIR=/elsewhere/pip
"""


def test_script_lines_that_repoint_at_home_fail(place: Place) -> None:
    script = place.base / "speedrun.sh"
    script.write_text(SPEEDRUN)
    report = verify(place.plan(), place.activated(), script=script)
    found = {(f.check, f.subject) for f in report.findings if f.status == "fail"}
    assert ("script.repoints", f"{script}:4") in found
    assert ("script.unset", f"{script}:7") in found
    assert not [f for f in report.findings if f.subject == f"{script}:6"]  # guarded: fine
    repoint = find(report, "script.repoints", f"{script}:4")
    assert "NANOCHAT_BASE_DIR" in repoint.message
    assert repoint.fix and "${NANOCHAT_BASE_DIR:-" in repoint.fix
    assert not report.ok  # a failure: exit 1 in verify, sbatch does not submit


@pytest.mark.parametrize(("line", "check"), [
    ("export HF_HOME=~/.cache/huggingface", "script.repoints"),
    ('HF_HOME="$HOME"/.cache/huggingface', "script.repoints"),
    ("export HF_HOME=${HOME}/.cache/huggingface", "script.repoints"),
    ("export OMP_NUM_THREADS=1 HF_HOME=$HOME/hf", "script.repoints"),
    ("env HF_HOME=$HOME/hf python train.py", "script.repoints"),
    ("HF_HOME=$HOME/hf torchrun train.py", "script.repoints"),
    ("cd /work && export HF_HOME=$HOME/hf", "script.repoints"),
    ("if true; then export HF_HOME=$HOME/hf; fi", "script.repoints"),
    ("readonly HF_HOME=$HOME/hf", "script.repoints"),
    ("setenv HF_HOME $HOME/hf", "script.repoints"),
    ("unset HF_HOME", "script.unset"),
    ("unset -v HF_HOME", "script.unset"),
    ("env -u HF_HOME python train.py", "script.unset"),
    ("export -n HF_HOME", "script.unset"),
])
def test_every_way_of_repointing_or_unsetting_is_seen(place: Place, line: str,
                                                      check: str) -> None:
    script = place.base / "job.sh"
    script.write_text(f"#!/bin/bash\n{line}\n")
    report = verify(place.plan(), place.activated(), script=script)
    assert find(report, check, f"{script}:2").status == "fail"


@pytest.mark.parametrize("line", [
    'echo HF_HOME="$HOME/hf"',
    "python train.py HF_HOME=$HOME/hf",
    'export HF_HOME="${HF_HOME:-$HOME/hf}"',
    "export HF_HOME=/elsewhere/hf  # not $HOME",
    "unset -f HF_HOME",
])
def test_lines_that_leave_the_setting_alone_pass(place: Place, line: str) -> None:
    script = place.base / "job.sh"
    script.write_text(f"#!/bin/bash\n{line}\n")
    report = verify(place.plan(), place.activated(), script=script)
    assert find(report, "script.repoints", str(script)).status == "pass"


def test_a_home_path_written_out_is_caught_through_a_symlinked_home(
    place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    # HOME=/x/home-link -> /x/home; the script spells the real path.
    link = place.base / "home-link"
    link.symlink_to(place.home)
    monkeypatch.setenv("HOME", str(link))
    script = place.base / "job.sh"
    script.write_text(f"#!/bin/bash\nexport HF_HOME={place.home}/.cache/huggingface\n")
    report = verify(place.plan(), place.activated(), script=script)
    assert find(report, "script.repoints", f"{script}:2").status == "fail"


def test_the_fix_keeps_the_users_setting(place: Place) -> None:
    script = place.base / "job.sh"
    script.write_text('#!/bin/bash\nexport HF_HOME="$HOME"/.cache/huggingface\n')
    fix = find(verify(place.plan(), place.activated(), script=script),
               "script.repoints", f"{script}:2").fix
    assert fix is not None
    keep = fix.split("keep your setting: ", 1)[1]
    shell = f'{keep}\nprintf %s "$HF_HOME"'
    kept = subprocess.run(["bash", "-c", shell], capture_output=True, text=True,
                          env={"HOME": str(place.home), "HF_HOME": "/scratch/hf"})
    assert kept.stdout == "/scratch/hf"
    fallback = subprocess.run(["bash", "-c", shell], capture_output=True, text=True,
                              env={"HOME": str(place.home)})
    assert fallback.stdout == f"{place.home}/.cache/huggingface"


@pytest.mark.parametrize("line", [
    "uv venv",
    "uv venv --python 3.12 .venv",
    "python -m venv .venv",
    "python3.11 -m venv --prompt x env",
    "virtualenv venv",
    "source .venv/bin/activate",
    ". .venv/bin/activate",
    'source "$HOME/venvs/x/bin/activate"',  # spelled into home, wherever the script is
])
def test_a_venv_created_or_activated_in_home_fails_with_its_fix(place: Place, line: str) -> None:
    checkout = place.home / "nanochat"  # a checkout in home, the script inside it
    checkout.mkdir()
    script = checkout / "speedrun.sh"
    script.write_text(f"#!/bin/bash\n{line}\n")
    finding = find(verify(place.plan(), place.activated(), script=script),
                   "script.venv_in_home", f"{script}:2")
    assert finding.status == "fail"
    assert finding.fix and "VENV_PATH" in finding.fix


@pytest.mark.parametrize("line", [
    'uv venv "$VENV_PATH"',
    'source "$VENV_PATH/bin/activate"',
    "python -m venv /elsewhere/venv",
    "echo uv venv",
])
def test_a_venv_on_scratch_passes(place: Place, line: str) -> None:
    checkout = place.home / "nanochat"
    checkout.mkdir()
    script = checkout / "job.sh"
    script.write_text(f"#!/bin/bash\n{line}\n")
    report = verify(place.plan(), place.activated(), script=script)
    assert find(report, "script.repoints", str(script)).status == "pass"


def test_a_relative_venv_from_a_checkout_on_scratch_passes(place: Place) -> None:
    checkout = place.root / "nanochat"
    checkout.mkdir()
    script = checkout / "job.sh"
    script.write_text("#!/bin/bash\nuv venv\nsource .venv/bin/activate\n")
    report = verify(place.plan(), place.activated(), script=script)
    assert report.ok


NANOCHAT_SPEEDRUN = """#!/bin/bash
export OMP_NUM_THREADS=1
export NANOCHAT_BASE_DIR="$HOME/.cache/nanochat"
mkdir -p $NANOCHAT_BASE_DIR
command -v uv &> /dev/null || curl -LsSf https://astral.sh/uv/install.sh | sh
[ -d ".venv" ] || uv venv
uv sync --extra gpu
source .venv/bin/activate
"""


def test_the_gate_is_one_decision_everywhere(place: Place) -> None:
    # The issue: verify warned and exited 0; sbatch said "ok (... 0 failed)" and then
    # "not submitted". Now verify --script, checklist --script and lint-scripts fail (exit 1)
    # on the same lines, with the same message.
    checkout = place.home / "nanochat"
    checkout.mkdir()
    script = checkout / "speedrun.sh"
    script.write_text(NANOCHAT_SPEEDRUN)
    environ = place.activated()
    verified = cli("verify", "--script", str(script), env=environ)
    assert verified.returncode == 1, verified.stdout + verified.stderr
    assert verified.stdout.splitlines()[-1].startswith("scratchenv verify: FAILED")
    checklist = cli("checklist", "--script", str(script), env=environ)
    assert checklist.returncode == 1
    linted = cli("lint-scripts", str(script), env=environ)
    assert linted.returncode == 1
    message = "re-points NANOCHAT_BASE_DIR at home"
    for result in (verified, checklist, linted):
        assert message in result.stdout
        assert "a virtual environment inside home" in result.stdout
    assert linted.stdout.splitlines()[0].startswith(f"{script}:3: {message}")
    lines = {line.split(": ", 1)[0] for line in linted.stdout.splitlines()}
    assert lines == {f"{script}:3", f"{script}:6", f"{script}:8"}


def test_default_only_lines_pass_the_gate(place: Place) -> None:
    script = place.base / "job.sh"
    script.write_text('#!/bin/bash\nexport NANOCHAT_BASE_DIR="${NANOCHAT_BASE_DIR:-$HOME/x}"\n')
    environ = place.activated()
    assert cli("verify", "--script", str(script), env=environ).returncode == 0
    linted = cli("lint-scripts", str(script), env=environ)
    assert (linted.returncode, linted.stdout) == (0, "")


def test_lint_scripts_needs_no_environment(tmp_path: Path) -> None:
    # No scratch root anywhere (CI, pre-commit): the catalogue's variables are still known.
    home = tmp_path / "home"
    script = tmp_path / "job.slurm"
    script.write_text("#!/bin/bash\nexport HF_HOME=$HOME/hf\nunset PIP_CACHE_DIR\n"
                      "export NANOCHAT_BASE_DIR=$HOME/.cache/nanochat\n")
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin",
           "PYTHONPATH": os.environ.get("PYTHONPATH", "")}  # this checkout, not the venv's
    result = cli("lint-scripts", str(script), env=env)
    assert result.returncode == 1, result.stderr
    assert f"{script}:2: re-points HF_HOME at home" in result.stdout
    assert f"{script}:3: unsets PIP_CACHE_DIR" in result.stdout
    assert f"{script}:4:" not in result.stdout  # no project: not a managed variable
    project = cli("--project", "nanochat", "lint-scripts", str(script), env=env)
    assert f"{script}:4: re-points NANOCHAT_BASE_DIR at home" in project.stdout
    broken = tmp_path / "config.toml"
    broken.write_text("root = [\n")  # a broken config is an error, not quietly skipped
    bad = cli("lint-scripts", str(script), env={**env, "SCRATCHENV_CONFIG": str(broken)})
    assert bad.returncode == 2 and "not valid TOML" in bad.stderr
    missing = cli("lint-scripts", str(tmp_path / "nope.sh"), env=env)
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and "nope.sh" in missing.stderr
