"""The one safe delete (removal.py), used by clean and checkpoint cleanup: never across a
mount point, never another user's file. Real bind mounts, real ownership, real users."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from helpers import need_root
from helpers.users import ALICE, MALLORY, People

from scratchenv.checkpoints import api
from scratchenv.errors import ScratchenvError
from scratchenv.removal import remove_tree


def _old_checkpoint(directory: Path, step: int) -> Path:
    path = directory / f"checkpoint-{step}"
    path.mkdir(parents=True)
    (path / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    when = time.time() - 3600
    for child in (*path.iterdir(), path):
        os.utime(child, (when, when))
    return path


def test_checkpoint_cleanup_never_crosses_a_bind_mount(tmp_path, monkeypatch):
    """A home directory bind-mounted inside an old checkpoint (same file system, same
    st_dev): cleanup refuses that checkpoint whole (the command says why: tests/checkpoints)."""
    need_root("to bind-mount a directory")
    scratch, home = tmp_path / "scratch", tmp_path / "home"
    thesis = home / "thesis"
    thesis.mkdir(parents=True)
    (thesis / "chapter1.tex").write_text("a chapter")
    for name, value in (("HOME", home), ("SCRATCHENV_ROOT", scratch),
                        ("SCRATCHENV_CONFIG", home / "none.toml")):
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("SCRATCHENV_PROJECT", raising=False)
    work = tmp_path / "training"
    work.mkdir()
    monkeypatch.chdir(work)
    ckdir = Path(api.setup_checkpoint_directory())
    old = _old_checkpoint(ckdir, 1)
    _old_checkpoint(ckdir, 2)
    (old / "mnt").mkdir()
    subprocess.run(["mount", "--bind", str(thesis), str(old / "mnt")], check=True)
    try:
        assert os.stat(old / "mnt").st_dev == os.stat(old).st_dev  # only mountinfo tells
        # The exit hook raises nothing: the checkpoint with the mount is kept whole.
        assert api.cleanup_old_checkpoints(keep_latest=1) == []
        assert (thesis / "chapter1.tex").read_text() == "a chapter"
        assert (old / "trainer_state.json").exists()  # refused whole: nothing of it went
    finally:
        subprocess.run(["umount", str(old / "mnt")], check=True)


def test_a_tree_with_another_users_file_is_refused_whole(tmp_path):
    need_root("to give a file to another uid")
    root = tmp_path / "scratch"
    tree = root / "cache" / "pip"
    (tree / "http").mkdir(parents=True)
    (tree / "http" / "mine").write_text("mine")
    theirs = tree / "http" / "theirs"
    theirs.write_text("not yours")
    os.chown(theirs, 54321, 54321)
    with pytest.raises(ScratchenvError, match=f"{theirs} is owned by uid 54321, not by you"):
        remove_tree(tree, root)
    assert theirs.read_text() == "not yours" and (tree / "http" / "mine").exists()
    with pytest.raises(ScratchenvError, match="owned by uid 54321"):
        remove_tree(theirs, root)
    assert theirs.exists()


def test_clean_keeps_a_file_another_user_put_in_your_cache(people: People):
    """alice may unlink anything in a directory she can write, mallory's file included:
    clean keeps it, says whose it is, and cleans the rest."""
    people.configure(ALICE)
    root = people.root(ALICE)
    people.write(ALICE, root / "cache" / "pip" / "http" / "a", "cache")
    people.mkdir(ALICE, root / "cache" / "pip" / "shared", mode=0o777)
    theirs = people.write(MALLORY, root / "cache" / "pip" / "shared" / "model.bin", "mallory's")
    done = people.scratchenv(ALICE, "clean", "caches", "--apply")
    assert done.returncode == 0, done.stderr
    assert "owned by scratchenv-mallory, not by you" in done.stdout
    assert theirs.read_text() == "mallory's"
    assert not (root / "cache" / "pip" / "http").exists()
