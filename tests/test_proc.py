"""proc: the one place that runs programs (streaming and the child's environment)."""

from __future__ import annotations

import os

import pytest

from scratchenv import proc
from scratchenv.errors import ScratchenvError


def test_stream_hands_over_both_streams_line_by_line_and_the_exit_code():
    seen: list[str] = []
    result = proc.stream(["sh", "-c", "echo one; echo two >&2; echo three; exit 3"],
                         on_line=seen.append)
    # Lines of one stream keep their order; the two pipes may interleave either way.
    assert sorted(seen) == ["one", "three", "two"] and seen.index("one") < seen.index("three")
    assert (result.returncode, result.ok) == (3, False)
    assert result.stdout.splitlines() == seen


def test_stream_closes_stdin_so_a_prompt_cannot_hang():
    result = proc.stream(["sh", "-c", "read answer; echo read-exit=$?"], on_line=lambda _: None)
    assert result.stdout == "read-exit=1\n"


def test_children_see_os_environ_as_it_is_now(monkeypatch):
    proc.run(["true"])  # plumbum imported and its environment copied before the change
    monkeypatch.setenv("SCRATCHENV_PROBE", "now")
    monkeypatch.delenv("HOME")
    result = proc.run(["sh", "-c", 'echo "$SCRATCHENV_PROBE/${HOME-unset}"'])
    assert result.stdout == "now/unset\n"


def test_env_is_the_whole_child_environment_and_its_path_finds_the_program(tmp_path):
    tool = tmp_path / "only-here"
    tool.write_text('#!/bin/sh\necho "${HOME-no home}"\n')
    tool.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin"}
    assert proc.run(["only-here"], env=env).stdout == "no home\n"
    assert proc.which("only-here", env=env) == str(tool)
    assert proc.which("only-here") is None
    with pytest.raises(ScratchenvError, match="only-here: command not found"):
        proc.run(["only-here"])


def test_timeout_kills_the_tools_own_children_too():
    import time

    start = time.monotonic()
    with pytest.raises(ScratchenvError, match="no answer within 1s"):
        proc.run(["sh", "-c", "sleep 30; echo late"], timeout=1)
    assert time.monotonic() - start < 10


def test_runs_from_many_threads_each_get_their_own_environment():
    from concurrent.futures import ThreadPoolExecutor

    def probe(i: int) -> str:
        return proc.run(["sh", "-c", "echo $N"], env={"N": str(i), "PATH": "/usr/bin:/bin"}).stdout

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(probe, range(40))) == [f"{i}\n" for i in range(40)]


def test_a_grandchild_that_left_the_group_cannot_stretch_the_wait(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    # setsid escapes the killed process group and keeps stdout open for 600 s; the run must
    # still end (the outer timeout is a hang guard, far above any normal run).
    code = ("from scratchenv import proc\n"
            "try:\n"
            "    proc.run(['sh', '-c', 'setsid sleep 600 & echo $! > pid; sleep 600'],\n"
            f"             timeout=1, cwd={str(tmp_path)!r})\n"
            "except Exception as e:\n"
            "    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    os.kill(int((tmp_path / "pid").read_text()), signal.SIGKILL)
    assert "no answer within 1s" in done.stdout


def test_which_answers_what_shutil_which_answers(tmp_path, monkeypatch):
    import shutil

    for name, mode in [("tool", 0o755), ("data", 0o644), ("both", 0o755)]:
        for place in ("a", "b"):
            (tmp_path / place).mkdir(exist_ok=True)
            (tmp_path / place / name).write_text("#!/bin/sh\n")
            (tmp_path / place / name).chmod(mode if place == "b" or name != "both" else 0o644)
    (tmp_path / "a" / "dir").mkdir()
    (tmp_path / "b" / "dir").write_text("#!/bin/sh\n")
    (tmp_path / "b" / "dir").chmod(0o755)
    (tmp_path / "local").write_text("#!/bin/sh\n")
    (tmp_path / "local").chmod(0o755)
    monkeypatch.chdir(tmp_path)
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    paths = [f"{a}:{b}", f"{b}:{a}", "", f"{a}::{b}", f"{a}:{a}", ":", "/nowhere", None]
    names = ["tool", "data", "both", "dir", "local", "missing", "./local", f"{a}/tool",
             f"{a}/data", a, "sh"]
    for path in paths:
        env = {} if path is None else {"PATH": path}
        for name in names:
            assert proc.which(name, env=env) == shutil.which(
                name, path=env.get("PATH", os.defpath)), (path, name)
