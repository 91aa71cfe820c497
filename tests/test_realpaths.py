from __future__ import annotations

import os
import subprocess
from pathlib import Path

from helpers import unavailable

from scratchenv import realpaths
from scratchenv.realpaths import is_mount_point, is_within, mount_point, same_place


def test_within_follows_symlinks_both_ways(tmp_path: Path) -> None:
    home, scratch = tmp_path / "my-home", tmp_path / "my-scratch"
    home.mkdir()
    scratch.mkdir()
    (scratch / "cache").symlink_to(home)
    (tmp_path / "my-home-link").symlink_to(home)
    assert is_within(scratch / "cache" / "x", home)
    assert is_within(home / "y", tmp_path / "my-home-link")
    assert not is_within(scratch / "z", home)
    assert not is_within(tmp_path / "my-homework", home)  # a string prefix, not a parent


def test_within_a_place_that_does_not_exist_yet(tmp_path: Path) -> None:
    assert is_within(tmp_path / "a" / "b", tmp_path / "a")
    assert not is_within(tmp_path / "ab", tmp_path / "a")


def test_same_place(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert same_place(tmp_path / "link", tmp_path / "real")
    assert same_place(tmp_path / "new", tmp_path / "link" / ".." / "new")
    assert not same_place(tmp_path / "real", tmp_path)


def test_mount_point() -> None:
    assert mount_point("/proc/self") == "/proc"
    assert mount_point("/definitely/not/there") == "/"


def test_within_sees_through_a_bind_mount(tmp_path: Path) -> None:
    # The same home reached through a bind mount shares no path prefix and no symlink with
    # it: only the device and inode tell.
    home, view = tmp_path / "home", tmp_path / "view"
    (home / ".cache").mkdir(parents=True)
    view.mkdir()
    bound = subprocess.run(["mount", "--bind", str(home), str(view)], capture_output=True,
                           text=True)
    if bound.returncode != 0:
        unavailable(f"cannot bind-mount (needs root): {bound.stderr}")
    try:
        assert os.path.realpath(view / ".cache") == str(view / ".cache")
        assert is_within(view / ".cache" / "hf", home)
        assert same_place(view / ".cache", home / ".cache")
        assert not is_within(tmp_path / "elsewhere", home)
    finally:
        subprocess.run(["umount", str(view)], check=True)


def test_a_bind_mount_at_a_path_with_a_space_is_seen_and_traced_to_its_source(
        tmp_path: Path) -> None:
    """Same file system, same st_dev: only mountinfo (with its octal escapes) tells."""
    from scratchenv.realpaths import device_path, mount_points_in

    source, view = tmp_path / "home" / "thesis", tmp_path / "scratch" / "with space"
    source.mkdir(parents=True)
    view.mkdir(parents=True)
    bound = subprocess.run(["mount", "--bind", str(source), str(view)], capture_output=True,
                           text=True)
    if bound.returncode != 0:
        unavailable(f"cannot bind-mount (needs root): {bound.stderr}")
    try:
        assert mount_points_in(tmp_path / "scratch") == [str(view)]
        assert device_path(view / "chapter.tex") == device_path(source / "chapter.tex")
        assert is_within(view / "chapter.tex", tmp_path / "home")
        assert not is_within(tmp_path / "scratch" / "other", tmp_path / "home")
    finally:
        subprocess.run(["umount", str(view)], check=True)
    assert mount_points_in(tmp_path / "scratch") == []


def test_a_bind_mount_on_the_same_file_system_is_a_mount_point(tmp_path: Path) -> None:
    # Same device, so st_dev (and os.path.ismount) cannot tell; /proc/self/mountinfo can.
    home, view = tmp_path / "a home dir", tmp_path / "cache view"
    home.mkdir()
    view.mkdir()
    (tmp_path / "link").symlink_to(view)
    assert not is_mount_point(view)
    bound = subprocess.run(["mount", "--bind", str(home), str(view)], capture_output=True,
                           text=True)
    if bound.returncode != 0:
        unavailable(f"cannot bind-mount (needs root): {bound.stderr}")
    try:
        assert not os.path.ismount(view)
        assert is_mount_point(view)  # a space in the name: mountinfo escapes it
        assert not is_mount_point(tmp_path / "link")  # a symlink to it is not
        assert not is_mount_point(home)
    finally:
        subprocess.run(["umount", str(view)], check=True)


def test_one_look_reads_each_path_once_and_afresh_after(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    link = tmp_path / "link"
    link.symlink_to(first)
    with realpaths.one_look():
        assert realpaths.real(link) == str(first)
        link.unlink()
        link.symlink_to(second)
        assert realpaths.real(link) == str(first)  # what this look already saw
    assert realpaths.real(link) == str(second)


def test_a_look_ended_by_another_thread_mid_question_still_answers(tmp_path):
    look = realpaths.one_look()
    look.__enter__()

    def answer(path: str) -> str:
        look.__exit__(None, None, None)  # as a thread ending its look while this one asks
        return path

    assert realpaths._remembered("real", str(tmp_path), answer) == str(tmp_path)


def test_inside_a_look_real_paths_are_what_realpath_says(tmp_path):
    # Inside a look, real() builds on each parent's remembered real path: it must give
    # os.path.realpath's answer for links, links in the middle, missing parts, dangling
    # links, loops, `..` and relative paths alike.
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "file").write_text("x")
    (tmp_path / "to_dir").symlink_to(tmp_path / "dir")
    (tmp_path / "dir" / "up").symlink_to("..")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere" / "deeper")
    (tmp_path / "loop_a").symlink_to(tmp_path / "loop_b")
    (tmp_path / "loop_b").symlink_to(tmp_path / "loop_a")
    (tmp_path / "relative").symlink_to("dir/sub")
    names = ["", "dir", "dir/sub", "file", "file/below", "to_dir", "to_dir/sub/new/deeper",
             "dir/up/to_dir/sub", "dangling", "dangling/more", "loop_a", "loop_a/x",
             "relative", "relative/../sub", "missing/to_dir", "to_dir/../file", "dir//sub/"]
    paths = [str(tmp_path / name) if name else str(tmp_path) for name in names]
    paths += [f"{tmp_path}/{name}" for name in names] + ["/", "relative/x", "."]
    with realpaths.one_look():
        seen = {path: realpaths.real(path) for path in paths}
    assert seen == {path: os.path.realpath(path) for path in paths}


def test_nearest_existing_walks_up_as_written(tmp_path, monkeypatch):
    from scratchenv.realpaths import nearest_existing

    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path)
    assert nearest_existing(str(tmp_path / "a" / "b" / "c")) == str(tmp_path / "a")
    assert nearest_existing("a/b/c") == "a"
    assert nearest_existing("b/c") == "."  # a relative path ends at the working directory
    assert nearest_existing("/no/such/place") == "/"
