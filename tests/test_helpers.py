"""The tests' own tools: the in-process `cli` answers what the real process answers, leaves
nothing of its call behind, and tests take their helpers from tests/helpers, not conftest."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import pytest
from helpers import CHECKOUT
from helpers.cli import cli, cli_process

TESTS = CHECKOUT / "tests"


@pytest.mark.parametrize("args", [
    ("env", "--format", "json"),
    ("activate", "--shell", "bash"),
    ("env", "--format", "nosuchformat"),  # a usage error: argparse's exit 2
    ("--config", "/nonexistent/config.toml", "env"),  # a configuration error: exit 2
    ("verify",),  # a shell never activated: exit 1, with ✗ (UTF-8) on stdout
    ("template", "slurm", "--help"),
])
def test_in_process_and_child_process_answer_alike(root: Path, args: tuple[str, ...]) -> None:
    here, child = cli(*args), cli_process(*args)
    assert (here.returncode, here.stdout, here.stderr) == \
        (child.returncode, child.stdout, child.stderr)


def test_a_call_leaves_the_environment_cwd_and_streams_as_they_were(root: Path,
                                                                     tmp_path: Path) -> None:
    before = dict(os.environ), os.getcwd(), sys.stdin, sys.stdout, sys.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = cli("--config", str(tmp_path / "typo.toml"), "env", cwd=elsewhere,
               env={**os.environ, "SCRATCHENV_PROJECT": "other"})
    assert done.returncode == 2 and done.stderr.startswith("scratchenv: error:")
    assert (dict(os.environ), os.getcwd(), sys.stdin, sys.stdout, sys.stderr) == before


def test_cwd_and_env_are_the_calls_own(root: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "SCRATCHENV_PROJECT": "nanochat"}
    here, child = (run("checkpoints", "dir", cwd=elsewhere, env=env) for run in (cli, cli_process))
    assert here.returncode == 0, here.stderr
    assert here.stdout.endswith("_elsewhere\n")  # named after the directory it ran in
    assert (here.returncode, here.stdout, here.stderr) == \
        (child.returncode, child.stdout, child.stderr)

def test_no_test_imports_from_conftest() -> None:
    """conftest.py holds fixtures and hooks; what tests share is in tests/helpers."""
    offenders = []
    for path in TESTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom) else
                     [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
            if any(name == "conftest" or name.endswith(".conftest") for name in names):
                offenders.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    assert offenders == []

