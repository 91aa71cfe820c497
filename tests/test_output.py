"""output.Progress: the migrate bar (bytes, files, ETA), drawn only where it belongs."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from scratchenv.output import Progress, duration


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bar_shows_bytes_files_and_an_eta():
    clock, stream = Clock(), io.StringIO()
    bar = Progress("copy pip", 4 * 1024**2, 100, stream=stream, enabled=True, clock=clock)
    clock.now += 10
    bar.advance(2 * 1024**2, 50)  # half the bytes and half the files in 10 s: 10 s to go
    line = stream.getvalue().split("\r")[-1]
    assert line.startswith("copy pip ")
    assert " 50% 2.0M/4.0M 50/100 files ETA 0:10" in line
    bar.close()
    assert stream.getvalue().endswith("\n")


def test_eta_weighs_files_and_bytes():
    clock = Clock()
    bar = Progress("x", 1000, 1000, stream=io.StringIO(), enabled=True, clock=clock)
    bar.bytes, bar.files = 900, 100  # one huge file done, many small ones to go
    assert bar.fraction() == 0.5


def test_redraws_at_most_every_interval():
    clock, stream = Clock(), io.StringIO()
    bar = Progress("x", 100, 100, stream=stream, enabled=True, clock=clock, interval=1)
    for _ in range(50):
        bar.advance(1, 1)
    assert stream.getvalue().count("\r") == 1


def test_off_when_the_stream_is_not_a_terminal():
    stream = io.StringIO()
    bar = Progress("x", 100, 100, stream=stream)
    assert not bar.enabled
    bar.advance(50, 50)
    bar.close()
    assert stream.getvalue() == ""


def test_duration():
    assert duration(42) == "0:42"
    assert duration(3725) == "1:02:05"


def test_a_closed_stdin_is_no_one_to_ask_not_a_crash(root):
    (root / "cache" / "pip").mkdir(parents=True)
    result = subprocess.run(["sh", "-c", 'exec "$0" -m scratchenv clean all --apply <&-',
                             sys.executable], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == ("scratchenv: error: clean all removes every location above; add "
                             "--yes to confirm (no terminal to ask on)\n")
    assert (root / "cache" / "pip").is_dir()


NOT_UTF8 = [{"PYTHONIOENCODING": "latin-1"}, {"LC_ALL": "POSIX", "PYTHONUTF8": "0"}]


@pytest.mark.slow
@pytest.mark.parametrize("terminal", NOT_UTF8, ids=["latin-1", "posix"])
def test_a_terminal_that_is_not_utf8_gets_ascii_symbols_not_a_crash(root, terminal):
    import os

    from helpers.cli import cli_process  # the locale sets a real process's encoding

    env = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_CTYPE")}
    env.update(terminal)
    home = Path(env["HOME"])
    (home / ".cache" / "pip").mkdir(parents=True)
    (home / ".cache" / "pip" / "wheel").write_bytes(b"x" * 5000)
    failed = cli_process("verify", env=env)  # a shell never activated: every check fails, with ✗
    assert failed.returncode == 1, failed.stderr
    assert failed.stdout.count("\nx ") > 3 and "✗" not in failed.stdout
    doctor = cli_process("doctor", env=env)
    assert doctor.returncode == 1 and "x  ~/.cache/pip" in doctor.stdout, doctor.stdout


def test_on_a_latin1_stream_symbols_fall_back_and_other_characters_are_escaped(monkeypatch):
    from scratchenv import output

    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="latin-1", errors="surrogateescape",
                              write_through=True)
    monkeypatch.setattr(sys, "stdout", stream)
    output.say("✓ café ✗ 中 " + output.bar(0.5, 4) + "|")
    output.write("exact é\n")
    assert raw.getvalue().decode("latin-1") == "+ café x \\u4e2d ##  |\nexact é\n"
