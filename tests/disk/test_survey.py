"""survey.survey's count of the space a source takes: the same as usage.scan's (du -sx),
counted in the survey's own walk, whatever moves, stays or conflicts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.fs import IS_ROOT, make_tree

from scratchenv.disk.survey import survey
from scratchenv.disk.usage import scan


def awkward_tree(base: Path) -> None:
    """make_tree plus sparse and tiny files, hard links into parts that stay, a fifo, a
    directory `stays` keeps and, as root, another user's directory."""
    make_tree(base, files=30, big=100_000)
    with open(base / "sparse.bin", "wb") as handle:
        handle.truncate(10 * 1024**2)
        handle.write(b"data at the start")
    (base / "tiny").write_bytes(b"x")
    for kept in ("env", "keep-dir"):
        (base / kept / "sub").mkdir(parents=True)
        (base / kept / "sub" / "file").write_bytes(b"y" * 9000)
        os.link(base / "d1" / "e1" / "f1.bin", base / kept / "sub" / "also-f1")
    os.link(base / "tiny", base / "keep-file")
    os.mkfifo(base / "fifo")
    if IS_ROOT:
        (base / "theirs" / "inner").mkdir(parents=True)
        (base / "theirs" / "inner" / "file").write_bytes(b"z" * 5000)
        for path in (base / "theirs", base / "theirs" / "inner"):
            os.chown(path, 12345, 12345)


def stays(directory: str, dest: str, st: os.stat_result, names: list[str]) -> str | None:
    return "an environment" if directory.endswith("/env") else None


def surveyed(source: Path, dest: Path) -> int:
    keeps = [str(source / "keep-dir"), str(source / "keep-file")]
    found = survey(str(source), str(dest), keeps, stays=stays, sized=True).home_bytes
    assert found is not None
    return found


def test_the_space_taken_is_what_usage_scan_counts(tmp_path):
    source = tmp_path / "src"
    awkward_tree(source)
    assert surveyed(source, tmp_path / "dest") == scan(str(source)).bytes


def test_what_stays_is_walked_only_when_the_size_is_asked_for(tmp_path, monkeypatch):
    import scratchenv.disk.survey as module

    source = tmp_path / "src"
    awkward_tree(source)
    walked: list[list[str]] = []
    monkeypatch.setattr(module, "subtrees", lambda paths, *rest: walked.append(paths) or
                        (0, 0, []))
    assert survey(str(source), str(tmp_path / "dest"), stays=stays).home_bytes is None
    assert walked == []


def test_parts_merged_into_an_existing_destination_count_the_same(tmp_path):
    source, dest = tmp_path / "src", tmp_path / "dest"
    awkward_tree(source)
    (dest / "d0").mkdir(parents=True)
    (dest / "d1").write_bytes(b"a file where the source has a directory")
    (dest / "d0" / "rel-link").symlink_to("elsewhere")
    assert surveyed(source, dest) == scan(str(source)).bytes


@pytest.mark.parametrize("what", ["file", "sparse", "dest-is-a-file"])
def test_a_single_file_or_a_conflicting_top_counts_the_same(tmp_path, what):
    source, dest = tmp_path / "src", tmp_path / "dest"
    if what == "file":
        source.write_bytes(b"q" * 7000)
    elif what == "sparse":
        with open(source, "wb") as handle:
            handle.truncate(1024**2)
    else:
        awkward_tree(source)
        dest.write_bytes(b"in the way")
    assert surveyed(source, dest) == scan(str(source)).bytes
