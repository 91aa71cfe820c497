"""Status and cleanup over every checkpoint directory, and the Python API's manners."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import test_checkpoints as base
from helpers.cli import cli
from test_checkpoints import git, make_checkpoint

from scratchenv.checkpoints import api

root, repo = base.root, base.repo  # the same scratch root and git repository fixtures


def three_worktrees(repo: Path, root: Path) -> dict[str, Path]:
    """wt-small (2 checkpoints), wt-big (4, larger), wt-mid (3): each set up."""
    dirs = {}
    for name, steps, size in (("wt-small", (1, 2), 1), ("wt-big", (1, 2, 3, 4), 50),
                              ("wt-mid", (5, 6, 7), 10)):
        git(repo, "worktree", "add", "-q", f"../{name}")
        assert cli("checkpoints", "setup", cwd=repo.parent / name).returncode == 0
        dirs[name] = root / f"checkpoints_src_{name}"
        for step in steps:
            path = make_checkpoint(dirs[name], step)
            (path / "optimizer.pt").write_bytes(b"\1" * size * 4096)
    return dirs


def test_status_is_largest_first_with_a_total(repo, root):
    three_worktrees(repo, root)
    listed = json.loads(cli("checkpoints", "status", "--json", cwd=repo).stdout)
    assert [d["id"] for d in listed] == ["src_wt-big", "src_wt-mid", "src_wt-small"]
    sizes = [d["bytes"] for d in listed]
    assert sizes == sorted(sizes, reverse=True)

    table = cli("checkpoints", "status", cwd=repo).stdout.splitlines()
    assert [line.split()[0] for line in table[2:5]] == ["src_wt-big", "src_wt-mid",
                                                         "src_wt-small"]
    total = table[5].split()
    assert total[0] == "total" and total[1] == "9" and total[-2:] == ["3", "directories"]


def test_cleanup_all_is_a_dry_run_per_directory_until_apply(repo, root):
    dirs = three_worktrees(repo, root)
    handmade = root / "checkpoints_handmade"  # no record: still the user's, still cleaned
    for step in (10, 20):
        make_checkpoint(handmade, step)

    dry = cli("checkpoints", "cleanup", "--keep", "1", "--all", cwd=repo)
    assert dry.returncode == 0, dry.stderr
    for path in [*dirs.values(), handmade]:
        assert f"checkpoints: {path}\n" in dry.stdout
    assert "dry run: would delete 7 checkpoints" in dry.stdout
    assert len(list(dirs["wt-big"].glob("checkpoint-*"))) == 4

    done = cli("checkpoints", "cleanup", "--keep", "1", "--all", "--apply", cwd=repo)
    assert done.returncode == 0, done.stderr
    left = {p.parent.name: p.name for p in root.glob("*/checkpoint-*")}
    assert left == {"checkpoints_src_wt-small": "checkpoint-2",
                    "checkpoints_src_wt-big": "checkpoint-4",
                    "checkpoints_src_wt-mid": "checkpoint-7",
                    "checkpoints_handmade": "checkpoint-20"}
    assert "deleted 7 checkpoints" in done.stdout

    mixed = cli("checkpoints", "cleanup", "--all", "--project", "x", cwd=repo)
    assert mixed.returncode == 2
    assert mixed.stderr == ("scratchenv: error: cleanup --all covers every directory; "
                            "leave out --project\n")


def test_the_api_leaves_gitignore_alone_unless_asked(repo, root, monkeypatch):
    (repo / ".gitignore").write_text("*.pyc\n")
    monkeypatch.chdir(repo)

    path = api.setup_checkpoint_directory()

    assert Path(path).is_dir()
    assert (repo / ".gitignore").read_text() == "*.pyc\n"
    assert git(repo, "status", "--porcelain") == "?? .gitignore\n"  # nothing else appeared
    api.setup_checkpoint_directory(gitignore=True)
    assert ".art/\n" in (repo / ".gitignore").read_text()


def test_importing_the_api_loads_no_settings_machinery_until_called(root, tmp_path):
    """A training script pays for pydantic only when it asks for a directory."""
    code = ("import sys, scratchenv.checkpoints\n"
            "print(sorted(m for m in ('pydantic', 'pydantic_settings', 'plumbum', 'torch')\n"
            "             if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"


def on_a_terminal(cwd: Path, answer: bytes, *args: str) -> tuple[int, str]:
    """Run the CLI with stdin and stderr on a pseudo-terminal, typing `answer`."""
    import os
    import pty

    leader, follower = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "scratchenv", *args], cwd=cwd,
                             stdin=follower, stderr=follower, stdout=subprocess.PIPE)
    os.close(follower)
    os.write(leader, answer)
    out, _ = child.communicate(timeout=120)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    return child.returncode, (out + seen).decode()


def test_apply_asks_on_a_terminal_and_yes_skips_the_question(repo, root):
    ckdir = root / "checkpoints_src_repo"
    assert cli("checkpoints", "setup", cwd=repo).returncode == 0
    for step in (1, 2, 3):
        make_checkpoint(ckdir, step)

    code, seen = on_a_terminal(repo, b"n\n", "checkpoints", "cleanup", "--keep", "1",
                               "--apply")
    assert code == 1
    assert "delete 2 checkpoints" in seen and "[y/N]" in seen
    assert "not confirmed: nothing changed" in seen
    assert len(list(ckdir.glob("checkpoint-*"))) == 3

    code, seen = on_a_terminal(repo, b"", "checkpoints", "cleanup", "--keep", "1", "--apply",
                               "--yes")
    assert code == 0, seen
    assert "[y/N]" not in seen and "deleted 2 checkpoints" in seen
    assert [p.name for p in ckdir.glob("checkpoint-*")] == ["checkpoint-3"]
