"""migrate asks what a thing is and whose it is before moving it: other users' files,
shared places behind a symlinked parent, mount points, environments, scratchenv's own
install, what rc files source. Each case is a loss a user reported (issues 21 and 24)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from two_users import ALICE, MALLORY, People, people_fixture  # noqa: F401


def _files(base: Path) -> list[str]:
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if not p.is_dir())


@pytest.mark.slow
def test_a_lab_cache_behind_a_symlinked_parent_is_left_alone(people: People) -> None:
    """~/.cache links to the lab's shared cache, where mallory keeps a model: alice's
    `migrate huggingface --apply` must not carry it into alice's private root."""
    lab = people.mkdir(MALLORY, people.shared / "lab-cache", mode=0o777)
    model = people.write(MALLORY, lab / "huggingface" / "hub" / "models--lab--big" / "model.bin",
                         b"mallory's weights")
    for directory in (lab / "huggingface", lab / "huggingface" / "hub", model.parent):
        os.chmod(directory, 0o777)  # a group-writable lab cache: alice could unlink it
    people.write(ALICE, lab / "huggingface" / "hub" / "alice.txt", "alice's own")
    people.configure(ALICE)
    (people.home(ALICE) / ".cache").symlink_to(lab)

    plan = people.scratchenv(ALICE, "migrate", "huggingface")
    run = people.scratchenv(ALICE, "migrate", "huggingface", "--apply", "--yes")

    assert run.returncode == 0, run.stdout + run.stderr
    assert model.read_bytes() == b"mallory's weights"
    assert _files(lab / "huggingface") == ["hub/alice.txt", "hub/models--lab--big/model.bin"]
    assert not (people.root(ALICE) / "cache" / "huggingface").exists()
    said = f"~/.cache is a symlink to {lab}: left alone"
    assert said in plan.stdout and said in run.stdout


@pytest.mark.slow
def test_another_users_file_in_my_cache_is_never_moved(people: People) -> None:
    """A direct ~/.cache/huggingface of alice's, made group-writable, holds a model mallory
    wrote: alice's files move, mallory's stays where it is and is named."""
    hub = people.mkdir(ALICE, people.home(ALICE) / ".cache" / "huggingface" / "hub", 0o777)
    people.write(ALICE, hub / "mine" / "a.bin", b"alice")
    theirs = people.write(MALLORY, hub / "theirs.bin", b"mallory")
    people.mkdir(MALLORY, hub / "their-dir")
    people.write(MALLORY, hub / "their-dir" / "b.bin", b"mallory too")
    people.configure(ALICE)

    run = people.scratchenv(ALICE, "migrate", "huggingface", "--apply", "--yes")

    assert run.returncode == 0, run.stdout + run.stderr
    moved = people.root(ALICE) / "cache" / "huggingface"
    assert _files(moved) == ["hub/mine/a.bin"]
    assert _files(hub) == ["their-dir/b.bin", "theirs.bin"]
    assert theirs.read_bytes() == b"mallory"
    for name in ("theirs.bin", "their-dir"):
        assert (f"keeps ~/.cache/huggingface/hub/{name} (owned by {MALLORY}, not by you: "
                "never moved)") in run.stdout
