"""One place decides exit codes: every command dispatches through it to its module's run."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from scratchenv import errors
from scratchenv.main import COMMANDS, main

# The fewest arguments argparse accepts for each command (run itself is replaced).
MINIMAL_ARGS = {"check-space": ["--need", "1G"], "checkpoints": ["status"],
                "template": ["slurm"], "sbatch": ["job.slurm"], "lint-scripts": ["job.slurm"],
                "completion": ["bash"]}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_subcommand_dispatches_to_its_run(command, monkeypatch):
    module = importlib.import_module(f"scratchenv.commands.{COMMANDS[command]}")
    seen = []
    monkeypatch.setattr(module, "run", lambda args: seen.append(command) or 0)
    argv = [command, *MINIMAL_ARGS.get(command, [])]
    if command == "activate":
        argv.append("--shell=nonsense-skips-the-fast-path")
        monkeypatch.setattr(module, "configure", lambda parser: parser.add_argument("--shell"))
    assert main(argv) == 0
    assert seen == [command]


@pytest.mark.parametrize(("raised", "code"), [
    (errors.ConfigError("bad setting"), 2),
    (errors.ScratchenvError("cannot delete x"), 1),
    (errors.Interrupted("interrupted, nothing lost"), 130),
    (KeyboardInterrupt(), 130),
])
def test_expected_problems_are_one_line_and_their_code(raised, code, monkeypatch, capsys):
    module = importlib.import_module("scratchenv.commands.status")

    def fail(args):
        raise raised

    monkeypatch.setattr(module, "run", fail)
    assert main(["status"]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("scratchenv: error: ")


def test_a_bug_is_exit_3_one_line_and_a_saved_traceback(isolated: Path, monkeypatch, capsys):
    module = importlib.import_module("scratchenv.commands.status")

    def crash(args):
        return {}["missing"]

    monkeypatch.setattr(module, "run", crash)
    assert main(["status"]) == 3
    err = capsys.readouterr().err
    log = isolated / ".local" / "state" / "scratchenv" / "crash.log"
    assert err == (f"scratchenv: error: unexpected KeyError: 'missing' "
                   f"(a bug; traceback in {log}; rerun with --debug)\n")
    assert "Traceback (most recent call last)" in log.read_text()
    assert oct(log.stat().st_mode & 0o777) == "0o600"


def test_a_bug_with_debug_is_exit_3_with_the_traceback_on_stderr(monkeypatch, capsys):
    module = importlib.import_module("scratchenv.commands.status")
    monkeypatch.setattr(module, "run", lambda args: {}["missing"])
    assert main(["--debug", "status"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last)")
    assert err.endswith("KeyError: 'missing'\n")


def test_interrupted_before_the_command_ran_is_130_and_one_line(monkeypatch, capsys):
    def interrupted(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr("scratchenv.main.build_parser", interrupted)
    assert main(["status"]) == 130
    assert capsys.readouterr().err == "scratchenv: error: interrupted\n"


@pytest.mark.parametrize("module", ["main", "error_handler"])
def test_exit_codes_are_numbers_only_in_errors(module):
    """main and the error handler return the names errors.py defines, never a literal:
    the table of codes is written once."""
    path = Path(importlib.import_module(f"scratchenv.{module}").__file__ or "")
    literals = [node.lineno for node in ast.walk(ast.parse(path.read_text()))
                if isinstance(node, ast.Return) and isinstance(node.value, ast.Constant)
                and type(node.value.value) is int]
    assert literals == [], f"{path.name} returns a literal exit code on lines {literals}"
    assert {errors.OK, errors.FAILED, errors.USAGE, errors.UNEXPECTED, errors.INTERRUPTED} \
        == {0, 1, 2, 3, 130}
