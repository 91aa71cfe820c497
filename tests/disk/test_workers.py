"""workers.py: parts shared out to forked processes, and how a worker's end ends the run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from scratchenv.disk.workers import shared, split


def test_parts_never_cut_a_directory():
    keys = ["a"] * 5 + ["b"] * 1 + ["c"] * 7 + ["d"] * 2
    parts = split(keys, 3)
    assert [list(p) for p in parts] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9, 10, 11, 12], [13, 14]]
    assert split([], 3) == []


def test_every_part_is_done_once_by_the_workers():
    parent = os.getpid()
    parts = split([str(i // 3) for i in range(300)], 5)
    results = list(shared(lambda part: (part, os.getpid()), parts, 2))
    assert sorted((p.start, p.stop) for p, _ in results) == [(p.start, p.stop) for p in parts]
    pids = {pid for _, pid in results}
    assert parent not in pids and 1 <= len(pids) <= 2


def test_one_worker_or_one_part_runs_here_in_order():
    parts = split(["a", "b", "c"], 1)
    assert list(shared(lambda part: (part, os.getpid()), parts, 1)) == [
        (part, os.getpid()) for part in parts]


class Full(Exception):
    def __init__(self, where: str, code: int) -> None:
        super().__init__(where)
        self.where, self.code = where, code

    def __reduce__(self):
        return Full, (self.where, self.code)


def test_a_workers_exception_is_raised_here_and_the_others_stop(tmp_path):
    def job(part: range) -> int:
        if part.start == 5:
            raise Full("part 5", 28)
        (tmp_path / str(part.start)).write_text("done")
        return part.start

    with pytest.raises(Full) as raised:
        for _ in shared(job, [range(n, n + 1) for n in range(2000)], 2):
            pass
    assert (raised.value.where, raised.value.code) == ("part 5", 28)
    assert len(os.listdir(tmp_path)) < 1999  # the other worker stopped too


def test_a_worker_killed_takes_the_run_with_it(tmp_path):
    """As if the whole run were SIGKILLed at that step: the parent dies of it too."""
    script = textwrap.dedent(f"""
        import os, signal
        from scratchenv.disk.workers import shared
        def job(part):
            if part.start == 3:
                os.kill(os.getpid(), signal.SIGKILL)
            return part.start
        for _ in shared(job, [range(n, n + 1) for n in range(50)], 2):
            pass
        open({str(tmp_path / "survived")!r}, "w").close()
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == -signal.SIGKILL, run.stderr
    assert not (tmp_path / "survived").exists()
