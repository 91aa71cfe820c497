"""One consent policy for every command that deletes or moves (clean, migrate, checkpoints):
a dry run until --apply; --apply asks on a terminal unless --yes; a no changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.fs import isolate

from scratchenv import output
from scratchenv.main import main


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    home, root = tmp_path / "home", tmp_path / "scratch"
    isolate(monkeypatch, home, root)
    (root / "cache" / "pip").mkdir(parents=True)
    (root / "cache" / "pip" / "wheel").write_text("cached")
    (home / ".cache" / "pip").mkdir(parents=True)
    (home / ".cache" / "pip" / "wheel").write_text("in home")
    (home / "old-run" / "checkpoint-1").mkdir(parents=True)
    (home / "old-run" / "checkpoint-1" / "model.bin").write_text("weights")
    return home, root


# Each command, and the path its action removes or moves away.
ACTIONS = {
    "clean": (["clean", "caches"], lambda home, root: root / "cache" / "pip"),
    "migrate": (["migrate", "pip"], lambda home, root: home / ".cache" / "pip"),
    "checkpoints": (["checkpoints", "archive", "old-run"], lambda home, root: home / "old-run"),
}


def on_a_terminal(monkeypatch: pytest.MonkeyPatch, answer: bool) -> list[str]:
    asked: list[str] = []
    monkeypatch.setattr(output, "interactive", lambda: True)
    monkeypatch.setattr(output, "confirm", lambda question: asked.append(question) or answer)
    return asked


@pytest.mark.parametrize("command", sorted(ACTIONS))
def test_yes_without_apply_is_a_dry_run_that_says_so(command, place, capsys):
    argv, acted_on = ACTIONS[command]
    assert main([*argv, "--yes"]) == 0
    assert "note: --yes only skips the question; --apply acts" in capsys.readouterr().out
    assert acted_on(*place).exists()


@pytest.mark.parametrize("command", sorted(ACTIONS))
def test_apply_on_a_terminal_asks_and_a_no_changes_nothing(command, place, monkeypatch,
                                                           capsys):
    argv, acted_on = ACTIONS[command]
    asked = on_a_terminal(monkeypatch, answer=False)
    assert main([*argv, "--apply"]) == 1
    assert len(asked) == 1
    assert capsys.readouterr().err == "scratchenv: error: not confirmed: nothing changed\n"
    assert acted_on(*place).exists()


@pytest.mark.parametrize("command", sorted(ACTIONS))
def test_apply_on_a_terminal_acts_after_a_yes(command, place, monkeypatch):
    argv, acted_on = ACTIONS[command]
    asked = on_a_terminal(monkeypatch, answer=True)
    assert main([*argv, "--apply"]) == 0
    assert len(asked) == 1 and not acted_on(*place).exists()


@pytest.mark.parametrize("command", sorted(ACTIONS))
def test_apply_yes_on_a_terminal_does_not_ask(command, place, monkeypatch):
    argv, acted_on = ACTIONS[command]
    asked = on_a_terminal(monkeypatch, answer=False)
    assert main([*argv, "--apply", "--yes"]) == 0
    assert asked == [] and not acted_on(*place).exists()


@pytest.mark.parametrize("command", sorted(ACTIONS))
def test_apply_without_a_terminal_acts(command, place, monkeypatch):
    argv, acted_on = ACTIONS[command]
    monkeypatch.setattr(output, "interactive", lambda: False)
    assert main([*argv, "--apply"]) == 0
    assert not acted_on(*place).exists()


def test_clean_all_without_a_terminal_needs_yes(place, monkeypatch, capsys):
    _, root = place
    monkeypatch.setattr(output, "interactive", lambda: False)
    assert main(["clean", "all", "--apply"]) == 2
    assert "add --yes to confirm (no terminal to ask on)" in capsys.readouterr().err
    assert (root / "cache" / "pip").exists()
