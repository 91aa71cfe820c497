"""A worktree keeps its checkpoint directory through `git worktree move` and renames; status
and prune-orphans follow git's own idea of which worktrees are gone. Real git, real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import test_checkpoints as base
from helpers.cli import cli
from test_checkpoints import git, make_checkpoint

from scratchenv.checkpoints.identity import ID_FILE

root, repo = base.root, base.repo  # the same scratch root and git repository fixtures


def status(cwd: Path) -> dict[str, dict]:
    done = cli("checkpoints", "status", "--json", cwd=cwd)
    assert done.returncode == 0, done.stderr
    return {d["id"]: d for d in json.loads(done.stdout)}


def test_a_moved_worktree_finds_its_directory_and_nothing_calls_it_an_orphan(repo, root):
    git(repo, "worktree", "add", "-q", "../wt-a")
    old = repo.parent / "wt-a"
    assert cli("checkpoints", "setup", cwd=old).returncode == 0
    ckdir = root / "checkpoints_src_wt-a"
    make_checkpoint(ckdir, 7)
    (repo.parent.parent / "elsewhere" / "deeper").mkdir(parents=True)
    new = repo.parent.parent / "elsewhere" / "deeper" / "renamed"

    git(repo, "worktree", "move", str(old), str(new))

    # Seen from anywhere, before the moved worktree ran anything: git says where it is.
    before = status(repo)["src_wt-a"]
    assert before["worktree"] == str(new) and before["worktree_exists"] is True
    assert before["recorded_worktree"] == str(old)
    table = cli("checkpoints", "status", cwd=repo).stdout
    assert f"{new} (moved from {old})" in table
    dry = cli("checkpoints", "prune-orphans", cwd=repo)
    assert dry.stdout == "no orphaned checkpoint directories\n"

    # From the moved worktree: the same directory, with its checkpoint; no new one.
    assert cli("checkpoints", "dir", cwd=new).stdout == f"{ckdir}\n"
    again = cli("checkpoints", "setup", cwd=new)
    assert again.stdout.startswith(f"exists: {ckdir} (for {new})"), again.stdout
    assert sorted(p.name for p in root.iterdir()) == ["checkpoints_src_wt-a"]
    after = status(repo)["src_wt-a"]
    assert after["worktree"] == after["recorded_worktree"] == str(new)
    assert after["newest"] == "checkpoint-7"


def test_a_renamed_main_checkout_keeps_its_directory(repo, root, tmp_path):
    assert cli("checkpoints", "setup", cwd=repo).returncode == 0
    make_checkpoint(root / "checkpoints_src_repo", 3)
    assert (repo / ".git" / ID_FILE).is_file()
    renamed = tmp_path / "projects" / "repo-renamed"
    renamed.parent.mkdir()
    (tmp_path / "src").rename(tmp_path / "projects-old")
    (tmp_path / "projects-old" / "repo").rename(renamed)

    assert cli("checkpoints", "dir", cwd=renamed).stdout == f"{root}/checkpoints_src_repo\n"
    # `dir` recorded the new path, so prune-orphans run from anywhere leaves it alone.
    assert status(tmp_path)["src_repo"]["worktree"] == str(renamed)
    assert "no orphaned" in cli("checkpoints", "prune-orphans", cwd=tmp_path).stdout


def test_prune_orphans_offers_only_what_git_worktree_prune_would_drop(repo, root, tmp_path):
    for name in ("removed", "deleted", "locked"):
        git(repo, "worktree", "add", "-q", f"../{name}")
        assert cli("checkpoints", "setup", cwd=repo.parent / name).returncode == 0
    git(repo, "worktree", "remove", "--force", "../removed")  # admin directory gone
    git(repo, "worktree", "lock", "../locked")
    for name in ("deleted", "locked"):  # rm -rf: git's admin directory still points there
        for path in sorted((repo.parent / name).rglob("*"), reverse=True):
            path.unlink() if not path.is_dir() or path.is_symlink() else path.rmdir()
        (repo.parent / name).rmdir()

    found = status(repo)
    assert found["src_removed"]["worktree_exists"] is False
    assert found["src_deleted"]["worktree_exists"] is False
    assert found["src_locked"]["worktree_exists"] is True  # git worktree prune keeps it

    dry = cli("checkpoints", "prune-orphans", cwd=repo)
    assert "checkpoints_src_removed" in dry.stdout and "checkpoints_src_deleted" in dry.stdout
    assert "checkpoints_src_locked" not in dry.stdout
    done = cli("checkpoints", "prune-orphans", "--apply", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in root.iterdir()) == ["checkpoints_src_locked"]


def test_a_new_worktree_where_a_moved_one_was_gets_its_own_directory(repo, root, tmp_path):
    git(repo, "worktree", "add", "-q", "../wt")
    assert cli("checkpoints", "setup", cwd=repo.parent / "wt").returncode == 0
    make_checkpoint(root / "checkpoints_src_wt", 5)
    git(repo, "worktree", "move", "../wt", str(tmp_path / "moved"))
    git(repo, "worktree", "add", "-q", "--detach", "../wt")  # another one at the old path

    fresh = cli("checkpoints", "setup", cwd=repo.parent / "wt")

    assert fresh.returncode == 0, fresh.stderr
    assert "checkpoints_src_wt-" in fresh.stdout and "taken by" in fresh.stdout
    moved = cli("checkpoints", "dir", cwd=tmp_path / "moved")
    assert moved.stdout == f"{root}/checkpoints_src_wt\n"


def test_adopting_a_directory_of_the_old_setup_without_a_record(repo, root):
    """The old setup named directories alike but wrote no record: the worktree of that name
    takes it, and from then on finds it by its id."""
    old = root / "checkpoints_src_repo"
    make_checkpoint(old, 2)
    assert cli("checkpoints", "setup", cwd=repo).returncode == 0
    record = json.loads((old / ".scratchenv-worktree").read_text())
    assert record["worktree_id"] == (repo / ".git" / ID_FILE).read_text().strip()


def test_status_and_prune_orphans_work_from_a_removed_directory(repo, root, tmp_path):
    assert cli("checkpoints", "setup", cwd=repo).returncode == 0
    gone = tmp_path / "removed"
    gone.mkdir()
    code = ("import os, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]); "
            "from scratchenv.main import main; raise SystemExit(main(sys.argv[2:]))")
    for action, says in (("status", "src_repo "), ("prune-orphans", "no orphaned")):
        done = subprocess.run([sys.executable, "-c", code, str(gone), "checkpoints", action],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert says in done.stdout
        gone.mkdir()
